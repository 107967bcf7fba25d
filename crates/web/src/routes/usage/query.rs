//! The usage report's query string, read by the API route and the Usage page alike.

use serde::Deserialize;
use switchboard_core::usage::{Dimension, Window, parse_day, parse_dimensions};
use utoipa::IntoParams;

use crate::error::AppError;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// The first day (`YYYY-MM-DD`, UTC); default: 29 days before `to`.
    pub(crate) from: Option<String>,
    /// The last day, included (`YYYY-MM-DD`, UTC); default: today.
    pub(crate) to: Option<String>,
    /// What to group by: `day`, `user`, `app`, `model`, comma-separated; default all four.
    pub(crate) group_by: Option<String>,
}

impl UsageQuery {
    /// The window and groupings asked for; a malformed one is a 422 saying what is expected.
    pub(crate) fn parse(&self, today: time::Date) -> Result<(Window, Vec<Dimension>), AppError> {
        let day = |raw: &Option<String>, name| {
            raw.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse_day(s, name))
                .transpose()
                .map_err(|e| AppError::invalid(e.to_string()))
        };
        let window = Window::new(day(&self.from, "from")?, day(&self.to, "to")?, today)
            .map_err(|e| AppError::invalid(e.to_string()))?;
        let dims = parse_dimensions(self.group_by.as_deref()).map_err(|e| AppError::invalid(e.to_string()))?;
        Ok((window, dims))
    }
}
