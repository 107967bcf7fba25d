//! The rules of usage reports: which days a report covers and what it is
//! grouped by. Days are UTC calendar days.

use time::{Date, Duration, OffsetDateTime, Time};

/// Days a report covers when none are given: the last 30, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest report, in days.
pub const MAX_DAYS: i64 = 366;

/// What a report's figures are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The UTC day the model step or the tool call happened.
    Day,
    /// The owner of the conversation.
    User,
    /// The app (connector) whose actions were called.
    App,
    /// The model (`provider/model`) that answered.
    Model,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [Dimension::Day, Dimension::User, Dimension::App, Dimension::Model];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::User => "user",
            Self::App => "app",
            Self::Model => "model",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == text)
    }
}

/// Why a report cannot be made as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("{0} must be a day such as 2026-01-31")]
    NotADay(&'static str),
    #[error("from must not be after to")]
    Reversed,
    #[error("a report covers at most {MAX_DAYS} days; choose a shorter range")]
    TooLong,
    #[error("unknown group_by {0:?}; the groupings are day, user, app and model, separated by commas")]
    UnknownDimension(String),
}

/// The days a report covers, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: Date,
    pub to: Date,
}

impl Window {
    /// The window asked for: `to` defaults to `today`, `from` to the
    /// [`DEFAULT_DAYS`] up to `to`; `from` after `to` and windows longer than
    /// [`MAX_DAYS`] are refused.
    pub fn new(from: Option<Date>, to: Option<Date>, today: Date) -> Result<Window, UsageError> {
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(UsageError::Reversed);
        }
        if (to - from).whole_days() + 1 > MAX_DAYS {
            return Err(UsageError::TooLong);
        }
        Ok(Window { from, to })
    }

    /// The first instant covered: midnight UTC of `from`.
    pub fn start(self) -> OffsetDateTime {
        OffsetDateTime::new_utc(self.from, Time::MIDNIGHT)
    }

    /// The first instant after the window: midnight UTC after `to`.
    pub fn end(self) -> OffsetDateTime {
        OffsetDateTime::new_utc(self.to, Time::MIDNIGHT) + Duration::days(1)
    }

    /// Every day of the window, in order.
    pub fn days(self) -> impl Iterator<Item = Date> {
        let count = (self.to - self.from).whole_days() + 1;
        (0..count).map(move |n| self.from + Duration::days(n))
    }
}

/// A `YYYY-MM-DD` day; `name` says which parameter, for the error.
pub fn parse_day(raw: &str, name: &'static str) -> Result<Date, UsageError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(raw.trim(), &format).map_err(|_| UsageError::NotADay(name))
}

/// `YYYY-MM-DD`.
pub fn format_day(day: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    day.format(&format).unwrap_or_default()
}

/// The UTC day of the `n`th day since 1970-01-01 (as the store groups
/// instants: milliseconds divided by a day's).
pub fn day_from_index(n: i64) -> Option<Date> {
    OffsetDateTime::UNIX_EPOCH.checked_add(Duration::days(n)).map(OffsetDateTime::date)
}

/// The groupings asked for as a comma-separated list (`day,model`), in the
/// order of [`Dimension::ALL`] and each once; every one when none is given.
pub fn parse_dimensions(raw: Option<&str>) -> Result<Vec<Dimension>, UsageError> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty());
    let Some(raw) = raw else {
        return Ok(Dimension::ALL.to_vec());
    };
    let mut dims = raw
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Dimension::parse(p).ok_or_else(|| UsageError::UnknownDimension(p.to_owned())))
        .collect::<Result<Vec<_>, _>>()?;
    dims.sort();
    dims.dedup();
    Ok(dims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn windows_default_to_the_last_thirty_days() {
        let today = date!(2026 - 11 - 30);
        let w = Window::new(None, None, today).unwrap();
        assert_eq!((w.from, w.to), (date!(2026 - 11 - 01), today));
        assert_eq!(w.days().count(), 30);
        let w = Window::new(None, Some(date!(2026 - 01 - 10)), today).unwrap();
        assert_eq!(w.from, date!(2025 - 12 - 12));
        let w = Window::new(Some(date!(2026 - 11 - 29)), None, today).unwrap();
        assert_eq!(w.days().collect::<Vec<_>>(), vec![date!(2026 - 11 - 29), today]);
    }

    #[test]
    fn windows_cover_whole_utc_days() {
        let w = Window::new(Some(date!(2026 - 11 - 29)), Some(date!(2026 - 11 - 29)), date!(2026 - 11 - 30)).unwrap();
        assert_eq!(w.start().unix_timestamp(), 1_795_910_400);
        assert_eq!((w.end() - w.start()).whole_hours(), 24);
    }

    #[test]
    fn bad_windows_are_refused() {
        let today = date!(2026 - 11 - 30);
        assert_eq!(Window::new(Some(today), Some(date!(2026 - 11 - 29)), today), Err(UsageError::Reversed));
        assert_eq!(Window::new(Some(date!(2025 - 01 - 01)), Some(today), today), Err(UsageError::TooLong));
        let longest = Window::new(Some(date!(2025 - 11 - 30)), Some(date!(2026 - 11 - 30)), today).unwrap();
        assert_eq!(longest.days().count() as i64, MAX_DAYS);
    }

    #[test]
    fn days_parse_and_format() {
        assert_eq!(parse_day(" 2026-02-03 ", "from"), Ok(date!(2026 - 02 - 03)));
        assert_eq!(parse_day("2026-02-30", "from"), Err(UsageError::NotADay("from")));
        assert_eq!(parse_day("yesterday", "to"), Err(UsageError::NotADay("to")));
        assert_eq!(format_day(date!(2026 - 02 - 03)), "2026-02-03");
        assert_eq!(day_from_index(0), Some(date!(1970 - 01 - 01)));
        assert_eq!(day_from_index(1_795_910_400 / 86_400), Some(date!(2026 - 11 - 29)));
    }

    #[test]
    fn dimensions_parse_in_a_fixed_order() {
        assert_eq!(parse_dimensions(None).unwrap(), Dimension::ALL.to_vec());
        assert_eq!(parse_dimensions(Some(" ")).unwrap(), Dimension::ALL.to_vec());
        assert_eq!(parse_dimensions(Some("model, day,model")).unwrap(), vec![Dimension::Day, Dimension::Model]);
        assert_eq!(parse_dimensions(Some("day,team")), Err(UsageError::UnknownDimension("team".into())));
    }
}
