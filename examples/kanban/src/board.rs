//! The board: tasks in three columns, and how it is kept in a JSON file.
//!
//! [`Board`] is pure data with the rules of the board (ids, titles, moves). [`Store`] shares
//! one board between connections and, when it has a file, writes every change to it before
//! the change becomes visible.

use std::{
    borrow::Cow,
    fmt, fs, io,
    path::{Path, PathBuf},
    str::FromStr,
    sync::{Mutex, PoisonError},
};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest title, in characters. Details belong in the description.
pub(crate) const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 4_000;

/// A column of the board. The set is fixed: a task is to do, being done, or done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Column {
    #[default]
    Todo,
    Doing,
    Done,
}

impl Column {
    pub(crate) const ALL: [Column; 3] = [Column::Todo, Column::Doing, Column::Done];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Column::Todo => "todo",
            Column::Doing => "doing",
            Column::Done => "done",
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Column {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Column::ALL
            .into_iter()
            .find(|column| column.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| format!("unknown column `{s}`: use todo, doing or done"))
    }
}

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Column {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Column".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "enum": ["todo", "doing", "done"] })
    }
}

/// A task's id: `T-` and a number. Ids are never reused, so an id names one task for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TaskId(u64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T-{}", self.0)
    }
}

impl FromStr for TaskId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .strip_prefix("T-")
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .map(TaskId)
            .ok_or_else(|| format!("`{s}` is not a task id: ids look like T-1"))
    }
}

impl Serialize for TaskId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TaskId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TaskId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "TaskId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string", "pattern": "^T-[0-9]+$" })
    }
}

/// One card on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Task {
    id: TaskId,
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    column: Column,
}

impl Task {
    pub(crate) fn id(&self) -> TaskId {
        self.id
    }

    pub(crate) fn title(&self) -> &str {
        &self.title
    }

    /// Empty when the task has none.
    pub(crate) fn description(&self) -> &str {
        &self.description
    }

    pub(crate) fn column(&self) -> Column {
        self.column
    }

    fn haystack(&self) -> String {
        format!("{} {} {} {}", self.id, self.title, self.description, self.column).to_lowercase()
    }
}

/// Why the board refused a change or a lookup. Each message says what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BoardError {
    #[error("no task with id {0}")]
    UnknownTask(TaskId),
    #[error("the title is empty: give the task a short title")]
    EmptyTitle,
    #[error("the title has {0} characters, more than {MAX_TITLE_CHARS}: shorten it and put details in the description")]
    TitleTooLong(usize),
    #[error("the description has {0} characters, more than {MAX_DESCRIPTION_CHARS}: shorten it")]
    DescriptionTooLong(usize),
}

/// The tasks, in the order they were created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Board {
    /// The number the next task's id gets.
    next_id: u64,
    tasks: Vec<Task>,
}

impl Default for Board {
    fn default() -> Self {
        Board { next_id: 1, tasks: Vec::new() }
    }
}

impl Board {
    /// A board with a few example tasks in every column.
    pub(crate) fn seeded() -> Self {
        let mut board = Board::default();
        let examples = [
            (
                "Draft the release notes",
                "Summarise what changed since the last release, grouped by area.",
                Column::Todo,
            ),
            ("Review the onboarding checklist", "Check that every step still matches the current setup.", Column::Todo),
            (
                "Fix the login redirect loop",
                "Signing in from a deep link sends people back to the start page.",
                Column::Doing,
            ),
            ("Set up nightly backups", "Back up the database every night and keep 14 days.", Column::Done),
        ];
        for (title, description, column) in examples {
            board.create(title, Some(description), column).expect("example tasks are valid");
        }
        board
    }

    /// Every task, oldest first.
    pub(crate) fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    pub(crate) fn get(&self, id: TaskId) -> Result<&Task, BoardError> {
        self.tasks.iter().find(|task| task.id == id).ok_or(BoardError::UnknownTask(id))
    }

    /// Adds a task and returns it with its new id. Title and description are trimmed.
    pub(crate) fn create(
        &mut self,
        title: &str,
        description: Option<&str>,
        column: Column,
    ) -> Result<Task, BoardError> {
        let title = title.trim();
        let description = description.unwrap_or_default().trim();
        match title.chars().count() {
            0 => return Err(BoardError::EmptyTitle),
            n if n > MAX_TITLE_CHARS => return Err(BoardError::TitleTooLong(n)),
            _ => {}
        }
        let description_chars = description.chars().count();
        if description_chars > MAX_DESCRIPTION_CHARS {
            return Err(BoardError::DescriptionTooLong(description_chars));
        }
        let task =
            Task { id: TaskId(self.next_id), title: title.to_owned(), description: description.to_owned(), column };
        self.next_id += 1;
        self.tasks.push(task.clone());
        Ok(task)
    }

    /// Puts a task in `column`. Moving it where it already is changes nothing.
    pub(crate) fn move_task(&mut self, id: TaskId, column: Column) -> Result<Task, BoardError> {
        let task = self.tasks.iter_mut().find(|task| task.id == id).ok_or(BoardError::UnknownTask(id))?;
        task.column = column;
        Ok(task.clone())
    }

    /// Removes a task for good and returns what it was. Its id is not reused.
    pub(crate) fn delete(&mut self, id: TaskId) -> Result<Task, BoardError> {
        let index = self.tasks.iter().position(|task| task.id == id).ok_or(BoardError::UnknownTask(id))?;
        Ok(self.tasks.remove(index))
    }

    /// Tasks whose id, title, description or column contain every word of `query`, ignoring
    /// case; those with every word in the title come first. An empty query matches every task.
    pub(crate) fn search(&self, query: &str) -> Vec<&Task> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let mut hits: Vec<&Task> = self
            .tasks
            .iter()
            .filter(|task| {
                let haystack = task.haystack();
                words.iter().all(|word| haystack.contains(word.as_str()))
            })
            .collect();
        // A stable sort keeps board order within each group.
        hits.sort_by_key(|task| {
            let title = task.title.to_lowercase();
            !words.iter().all(|word| title.contains(word.as_str()))
        });
        hits
    }

    /// Checks what a file may hold but the board never makes: one id twice, or an id that
    /// `next_id` would hand out again.
    fn validate(&mut self) -> Result<(), TaskId> {
        let mut ids: Vec<TaskId> = self.tasks.iter().map(Task::id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(pair[0]);
        }
        if let Some(TaskId(highest)) = ids.last() {
            self.next_id = self.next_id.max(highest + 1);
        }
        Ok(())
    }
}

/// Why the board file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("cannot read the board file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("the board file {path} is not a board ({source}): fix it, or move it away to start an empty board")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("the board file {path} holds task {id} twice: fix it, or move it away to start an empty board")]
    DuplicateId { path: PathBuf, id: TaskId },
    #[error("cannot write the board file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UpdateError {
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads a board file. `Ok(None)` when there is no file yet.
pub(crate) fn load(path: &Path) -> Result<Option<Board>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Read { path: path.to_owned(), source }),
    };
    let mut board: Board =
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Parse { path: path.to_owned(), source })?;
    board.validate().map_err(|id| StoreError::DuplicateId { path: path.to_owned(), id })?;
    Ok(Some(board))
}

/// Writes a board file atomically: a temporary file beside it, flushed to disk, then renamed
/// over it. A reader sees the old board or the new one, never half of one.
pub(crate) fn save(path: &Path, board: &Board) -> Result<(), StoreError> {
    let write_error = |source| StoreError::Write { path: path.to_owned(), source };
    let mut json = serde_json::to_vec_pretty(board).map_err(|e| write_error(io::Error::other(e)))?;
    json.push(b'\n');
    let file_name = path.file_name().ok_or_else(|| write_error(io::Error::other("the path names no file")))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        io::Write::write_all(&mut file, &json)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if let Err(source) = written {
        let _ = fs::remove_file(&temp);
        return Err(write_error(source));
    }
    Ok(())
}

/// The one board every connection shares, and the file it is kept in (if any).
#[derive(Debug)]
pub(crate) struct Store {
    board: Mutex<Board>,
    file: Option<PathBuf>,
}

impl Store {
    /// A board that lives only as long as the process.
    pub(crate) fn in_memory(board: Board) -> Self {
        Store { board: Mutex::new(board), file: None }
    }

    /// The board kept in `path`. A missing file starts an empty board and is created at once,
    /// so a path that cannot be written fails now rather than at the first change.
    pub(crate) fn open(path: PathBuf) -> Result<Self, StoreError> {
        let board = match load(&path)? {
            Some(board) => board,
            None => {
                let board = Board::default();
                save(&path, &board)?;
                board
            }
        };
        Ok(Store { board: Mutex::new(board), file: Some(path) })
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Board) -> T) -> T {
        f(&self.lock())
    }

    /// Applies `change` to a copy of the board, saves the copy, and only then makes it the
    /// board. A change that fails, or cannot be saved, leaves the board as it was.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Board) -> Result<T, BoardError>) -> Result<T, UpdateError> {
        let mut board = self.lock();
        let mut next = board.clone();
        let out = change(&mut next)?;
        if next != *board {
            if let Some(path) = &self.file {
                save(path, &next)?;
            }
            *board = next;
        }
        Ok(out)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        // The board is replaced whole and only after a successful save, so a panic while the
        // lock was held cannot have left it half changed.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> TaskId {
        s.parse().unwrap()
    }

    #[test]
    fn task_ids_parse_and_print() {
        for (input, expect) in [
            ("T-1", Ok("T-1")),
            (" T-42 ", Ok("T-42")),
            ("T-", Err(())),
            ("t-1", Err(())),
            ("T-1a", Err(())),
            ("T--1", Err(())),
            ("T-+1", Err(())),
            ("1", Err(())),
            ("T-99999999999999999999999", Err(())),
        ] {
            let got = input.parse::<TaskId>().map(|id| id.to_string()).map_err(|_| ());
            assert_eq!(got, expect.map(str::to_owned), "{input:?}");
        }
        assert_eq!("x".parse::<TaskId>().unwrap_err(), "`x` is not a task id: ids look like T-1");
    }

    #[test]
    fn columns_parse_ignoring_case_and_say_which_exist() {
        for (input, expect) in [
            ("todo", Ok(Column::Todo)),
            ("Doing", Ok(Column::Doing)),
            (" DONE ", Ok(Column::Done)),
            ("backlog", Err(())),
        ] {
            assert_eq!(input.parse::<Column>().map_err(|_| ()), expect, "{input:?}");
        }
        assert_eq!("backlog".parse::<Column>().unwrap_err(), "unknown column `backlog`: use todo, doing or done");
        let error = serde_json::from_str::<Column>("\"later\"").unwrap_err();
        assert!(error.to_string().contains("use todo, doing or done"), "{error}");
    }

    #[test]
    fn create_gives_new_ids_and_trims() {
        let mut board = Board::default();
        let first = board.create("  Write tests ", Some(" for the board \n"), Column::Todo).unwrap();
        let second = board.create("Ship", None, Column::Doing).unwrap();
        assert_eq!((first.id(), first.title(), first.description()), (id("T-1"), "Write tests", "for the board"));
        assert_eq!((second.id(), second.description(), second.column()), (id("T-2"), "", Column::Doing));
        assert_eq!(board.tasks().len(), 2);
    }

    #[test]
    fn create_checks_title_and_description() {
        let mut board = Board::default();
        let long_title = "x".repeat(MAX_TITLE_CHARS + 1);
        let long_description = "é".repeat(MAX_DESCRIPTION_CHARS + 1);
        for (title, description, expect) in [
            ("   ", None, BoardError::EmptyTitle),
            (long_title.as_str(), None, BoardError::TitleTooLong(MAX_TITLE_CHARS + 1)),
            ("ok", Some(long_description.as_str()), BoardError::DescriptionTooLong(MAX_DESCRIPTION_CHARS + 1)),
        ] {
            assert_eq!(board.create(title, description, Column::Todo), Err(expect));
        }
        assert!(board.tasks().is_empty());
        assert!(board.create(&"é".repeat(MAX_TITLE_CHARS), None, Column::Todo).is_ok(), "the limit counts characters");
    }

    #[test]
    fn ids_are_never_reused() {
        let mut board = Board::default();
        let first = board.create("one", None, Column::Todo).unwrap();
        board.delete(first.id()).unwrap();
        assert_eq!(board.create("two", None, Column::Todo).unwrap().id(), id("T-2"));
    }

    #[test]
    fn move_and_delete_name_unknown_ids() {
        let mut board = Board::seeded();
        assert_eq!(board.move_task(id("T-1"), Column::Done).unwrap().column(), Column::Done);
        assert_eq!(board.move_task(id("T-1"), Column::Done).unwrap().column(), Column::Done, "moving again is a no-op");
        assert_eq!(board.move_task(id("T-99"), Column::Done), Err(BoardError::UnknownTask(id("T-99"))));
        assert_eq!(board.delete(id("T-1")).unwrap().title(), "Draft the release notes");
        assert_eq!(board.delete(id("T-1")), Err(BoardError::UnknownTask(id("T-1"))));
        assert_eq!(board.get(id("T-1")), Err(BoardError::UnknownTask(id("T-1"))));
        assert_eq!(BoardError::UnknownTask(id("T-1")).to_string(), "no task with id T-1");
    }

    #[test]
    fn seeded_board_fills_every_column() {
        let board = Board::seeded();
        for column in Column::ALL {
            assert!(board.tasks().iter().any(|task| task.column() == column), "{column}");
        }
    }

    #[test]
    fn search_matches_every_word_and_ranks_title_hits_first() {
        let mut board = Board::default();
        board.create("Backup the database", None, Column::Todo).unwrap();
        board.create("Write docs", Some("explain how the database backup works"), Column::Todo).unwrap();
        board.create("Plan the party", None, Column::Done).unwrap();
        let ids = |query: &str| board.search(query).iter().map(|task| task.id().to_string()).collect::<Vec<_>>();
        assert_eq!(ids("database backup"), ["T-1", "T-2"]);
        assert_eq!(ids("DOCS backup"), ["T-2"]);
        assert_eq!(ids("done"), ["T-3"], "the column is searched too");
        assert_eq!(ids("t-3"), ["T-3"], "and the id");
        assert_eq!(ids("nothing like it"), Vec::<String>::new());
        assert_eq!(ids("  "), ["T-1", "T-2", "T-3"]);
    }

    #[test]
    fn saved_board_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.json");
        assert!(load(&path).unwrap().is_none());
        let mut board = Board::seeded();
        board.delete(id("T-4")).unwrap();
        save(&path, &board).unwrap();
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(loaded, board);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left behind");
        let mut loaded = loaded;
        assert_eq!(loaded.create("next", None, Column::Todo).unwrap().id(), id("T-5"));
    }

    #[test]
    fn load_refuses_broken_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(load(&path), Err(StoreError::Parse { .. })));
        let twice = r#"{"next_id": 3, "tasks": [
            {"id": "T-1", "title": "a", "column": "todo"},
            {"id": "T-1", "title": "b", "column": "done"}]}"#;
        std::fs::write(&path, twice).unwrap();
        let error = load(&path).unwrap_err();
        assert!(error.to_string().contains("holds task T-1 twice"), "{error}");
    }

    #[test]
    fn load_repairs_a_next_id_that_would_reuse_an_id() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.json");
        std::fs::write(&path, r#"{"next_id": 1, "tasks": [{"id": "T-7", "title": "a", "column": "doing"}]}"#).unwrap();
        let mut board = load(&path).unwrap().unwrap();
        assert_eq!(board.create("b", None, Column::Todo).unwrap().id(), id("T-8"));
    }

    #[test]
    fn store_saves_changes_and_keeps_the_board_when_a_change_fails() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("board.json");
        let store = Store::open(path.clone()).unwrap();
        assert_eq!(load(&path).unwrap(), Some(Board::default()), "opening creates the file");

        store.update(|board| board.create("persisted", None, Column::Doing)).unwrap();
        let on_disk = load(&path).unwrap().unwrap();
        assert_eq!(on_disk.tasks()[0].title(), "persisted");

        let failed = store.update(|board| {
            board.create("half", None, Column::Todo)?;
            board.delete(id("T-99"))
        });
        assert!(matches!(failed, Err(UpdateError::Board(BoardError::UnknownTask(_)))));
        assert_eq!(store.read(|board| board.tasks().len()), 1);
        assert_eq!(load(&path).unwrap().unwrap(), on_disk);

        let reopened = Store::open(path).unwrap();
        assert_eq!(reopened.read(|board| board.tasks()[0].column()), Column::Doing);
    }

    #[test]
    fn store_reports_a_file_it_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let error = Store::open(dir.path().join("missing-dir").join("board.json")).unwrap_err();
        assert!(matches!(error, StoreError::Write { .. }), "{error}");
    }
}
