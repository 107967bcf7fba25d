//! The MCP surface of the board: seven tools, their inputs, outputs and annotations.
//!
//! Read tools (`list_tasks`, `get_task`, `search`, `fetch`) never change the board; write tools
//! (`create_task`, `move_task`, `delete_task`) do. A failure the caller can act on (an unknown
//! id, a bad column, an empty title) comes back as a tool result with `isError: true` and a
//! message that says what to do, never as a protocol error.

use std::sync::Arc;

use rmcp::{
    ServerHandler,
    handler::server::wrapper::{Json, Parameters},
    model::{ContentBlock, IntoContents},
    tool, tool_handler, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::board::{BoardError, Column, Store, Task, TaskId, UpdateError};

/// The server every connection gets: a handle on the one shared board.
#[derive(Debug, Clone)]
pub(crate) struct Kanban {
    store: Arc<Store>,
}

impl Kanban {
    pub(crate) fn new(store: Arc<Store>) -> Self {
        Kanban { store }
    }
}

/// Where a task can be found again; `search` and `fetch` hand it out as the citation.
fn task_url(id: TaskId) -> String {
    format!("kanban://tasks/{id}")
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListTasksParams {
    /// Only list tasks in this column. Leave it out to list the whole board.
    // Shown as a plain, optional enum: `with` drops the `null`, and `default` together with
    // `skip_serializing_if` keeps the field out of `required` without a `"default": null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Column")]
    column: Option<Column>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskIdParams {
    /// The task's id, such as `T-1`.
    id: TaskId,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    /// Words to look for in task ids, titles, descriptions and columns, ignoring case. A task
    /// matches when it contains every word; an empty query matches every task.
    query: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchParams {
    /// The id of a search result, such as `T-1`.
    id: TaskId,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTaskParams {
    /// A short title, such as "Draft the release notes" (at most 200 characters).
    title: String,
    /// Details: what done looks like, links, notes (at most 4000 characters).
    description: Option<String>,
    /// The column to put the task in. Leave it out for `todo`.
    // A plain, optional enum, as in `ListTasksParams`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Column")]
    column: Option<Column>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MoveTaskParams {
    /// The task's id, such as `T-1`.
    id: TaskId,
    /// The column to move the task to.
    column: Column,
}

/// A task as the tools show it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TaskView {
    /// Stable id, such as `T-1`.
    id: TaskId,
    title: String,
    /// Empty when the task has none.
    description: String,
    column: Column,
    /// Where the task can be found again, such as `kanban://tasks/T-1`.
    url: String,
}

impl From<&Task> for TaskView {
    fn from(task: &Task) -> Self {
        TaskView {
            id: task.id(),
            title: task.title().to_owned(),
            description: task.description().to_owned(),
            column: task.column(),
            url: task_url(task.id()),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct TaskList {
    /// Oldest first.
    tasks: Vec<TaskView>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DeletedTask {
    /// The task as it was just before it was deleted.
    deleted: TaskView,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchResults {
    /// Best matches first.
    results: Vec<SearchResult>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SearchResult {
    /// Pass this id to `fetch` for the full text.
    id: TaskId,
    title: String,
    url: String,
}

/// A task as a document to read or cite.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Document {
    id: TaskId,
    title: String,
    /// The title, the column and the description, as plain text.
    text: String,
    url: String,
    metadata: DocumentMetadata,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DocumentMetadata {
    column: Column,
}

impl From<&Task> for Document {
    fn from(task: &Task) -> Self {
        let mut text = format!("{}\n\nColumn: {}", task.title(), task.column());
        if !task.description().is_empty() {
            text.push_str("\n\n");
            text.push_str(task.description());
        }
        Document {
            id: task.id(),
            title: task.title().to_owned(),
            text,
            url: task_url(task.id()),
            metadata: DocumentMetadata { column: task.column() },
        }
    }
}

/// A failure reported to the caller as a tool result with `isError: true`.
#[derive(Debug)]
pub(crate) enum ToolError {
    Board(BoardError),
    /// The change could not be saved; the detail is in the log, not in the result.
    NotSaved,
}

impl From<BoardError> for ToolError {
    fn from(error: BoardError) -> Self {
        ToolError::Board(error)
    }
}

impl From<UpdateError> for ToolError {
    fn from(error: UpdateError) -> Self {
        match error {
            UpdateError::Board(error) => ToolError::Board(error),
            UpdateError::Store(error) => {
                tracing::error!(%error, "cannot save the board");
                ToolError::NotSaved
            }
        }
    }
}

impl IntoContents for ToolError {
    fn into_contents(self) -> Vec<ContentBlock> {
        let message = match self {
            ToolError::Board(error @ BoardError::UnknownTask(_)) => {
                format!("{error}: call list_tasks or search to see the ids that exist")
            }
            ToolError::Board(error) => error.to_string(),
            ToolError::NotSaved => "the board could not be saved, so nothing changed: try again later".to_owned(),
        };
        vec![ContentBlock::text(message)]
    }
}

#[tool_router]
impl Kanban {
    #[tool(
        name = "list_tasks",
        title = "List tasks",
        description = "Use this when you need an overview of the board, or of one column: it lists tasks \
            oldest first with their ids, titles, descriptions and columns (todo, doing, done). \
            To find tasks by words, use search instead.",
        annotations(title = "List tasks", read_only_hint = true, open_world_hint = false)
    )]
    async fn list_tasks(&self, Parameters(params): Parameters<ListTasksParams>) -> Json<TaskList> {
        let tasks = self.store.read(|board| {
            board
                .tasks()
                .iter()
                .filter(|task| params.column.is_none_or(|column| task.column() == column))
                .map(TaskView::from)
                .collect()
        });
        Json(TaskList { tasks })
    }

    #[tool(
        name = "get_task",
        title = "Get task",
        description = "Use this when you know a task's id (such as T-1) and need its title, description \
            and column, for example before changing it.",
        annotations(title = "Get task", read_only_hint = true, open_world_hint = false)
    )]
    async fn get_task(&self, Parameters(params): Parameters<TaskIdParams>) -> Result<Json<TaskView>, ToolError> {
        let task = self.store.read(|board| board.get(params.id).map(TaskView::from))?;
        Ok(Json(task))
    }

    #[tool(
        name = "search",
        title = "Search tasks",
        description = "Use this when you need to find tasks by words in their title or description, \
            for example to answer a question about the work or to find the id of a task to change. \
            Returns {\"results\": [{\"id\", \"title\", \"url\"}]}, best matches first; pass an id to \
            fetch for the full text.",
        annotations(title = "Search tasks", read_only_hint = true, open_world_hint = false)
    )]
    async fn search(&self, Parameters(params): Parameters<SearchParams>) -> Json<SearchResults> {
        let results = self.store.read(|board| {
            board
                .search(&params.query)
                .into_iter()
                .map(|task| SearchResult { id: task.id(), title: task.title().to_owned(), url: task_url(task.id()) })
                .collect()
        });
        Json(SearchResults { results })
    }

    #[tool(
        name = "fetch",
        title = "Fetch task",
        description = "Use this when you have a task id from search (or list_tasks) and need the task's \
            full text to read or cite. Returns {\"id\", \"title\", \"text\", \"url\", \"metadata\"}.",
        annotations(title = "Fetch task", read_only_hint = true, open_world_hint = false)
    )]
    async fn fetch(&self, Parameters(params): Parameters<FetchParams>) -> Result<Json<Document>, ToolError> {
        let document = self.store.read(|board| board.get(params.id).map(Document::from))?;
        Ok(Json(document))
    }

    #[tool(
        name = "create_task",
        title = "Create task",
        description = "Use this when someone asks to add a task or a to-do item to the board. It goes in \
            todo unless you name another column, and the result carries its new id.",
        annotations(
            title = "Create task",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = false
        )
    )]
    async fn create_task(&self, Parameters(params): Parameters<CreateTaskParams>) -> Result<Json<TaskView>, ToolError> {
        let column = params.column.unwrap_or_default();
        let task = self.store.update(|board| board.create(&params.title, params.description.as_deref(), column))?;
        Ok(Json(TaskView::from(&task)))
    }

    #[tool(
        name = "move_task",
        title = "Move task",
        description = "Use this when work on a task starts (move it to doing), finishes (done) or is put \
            back (todo). Moving a task to the column it is already in changes nothing.",
        annotations(
            title = "Move task",
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn move_task(&self, Parameters(params): Parameters<MoveTaskParams>) -> Result<Json<TaskView>, ToolError> {
        let task = self.store.update(|board| board.move_task(params.id, params.column))?;
        Ok(Json(TaskView::from(&task)))
    }

    #[tool(
        name = "delete_task",
        title = "Delete task",
        description = "Use this only when someone explicitly asks to remove a task for good: deletion \
            cannot be undone and the id is never reused. To mark a task finished, use move_task to \
            move it to done instead.",
        annotations(
            title = "Delete task",
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn delete_task(&self, Parameters(params): Parameters<TaskIdParams>) -> Result<Json<DeletedTask>, ToolError> {
        let task = self.store.update(|board| board.delete(params.id))?;
        Ok(Json(DeletedTask { deleted: TaskView::from(&task) }))
    }
}

#[tool_handler(
    name = "kanban",
    instructions = "A Kanban board with three columns: todo, doing and done. Tasks have ids such as T-1. \
        Find tasks with list_tasks or search, read one with get_task or fetch, and change the board \
        with create_task, move_task and delete_task."
)]
impl ServerHandler for Kanban {}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str) -> rmcp::model::Tool {
        Kanban::tool_router().get(name).cloned().unwrap_or_else(|| panic!("no tool {name}"))
    }

    #[test]
    fn column_parameters_are_enums_and_optional_where_they_may_be_left_out() {
        let schema = serde_json::Value::Object((*tool("create_task").input_schema).clone());
        assert_eq!(schema["properties"]["column"]["enum"], serde_json::json!(["todo", "doing", "done"]));
        assert_eq!(schema["required"], serde_json::json!(["title"]));
        assert_eq!(schema["additionalProperties"], serde_json::json!(false));

        let schema = serde_json::Value::Object((*tool("move_task").input_schema).clone());
        assert_eq!(schema["properties"]["column"]["enum"], serde_json::json!(["todo", "doing", "done"]));
        assert_eq!(schema["properties"]["id"]["pattern"], serde_json::json!("^T-[0-9]+$"));
        assert_eq!(schema["required"], serde_json::json!(["id", "column"]));
    }

    #[test]
    fn unknown_ids_point_to_the_tools_that_list_ids() {
        let contents = ToolError::Board(BoardError::UnknownTask("T-9".parse().unwrap())).into_contents();
        assert_eq!(
            contents[0].as_text().map(|text| text.text.as_str()),
            Some("no task with id T-9: call list_tasks or search to see the ids that exist")
        );
    }

    #[test]
    fn fetched_text_holds_title_column_and_description() {
        let mut board = crate::board::Board::default();
        let task = board.create("Ship it", Some("After the review."), Column::Doing).unwrap();
        let document = Document::from(&task);
        assert_eq!(document.text, "Ship it\n\nColumn: doing\n\nAfter the review.");
        assert_eq!(document.url, "kanban://tasks/T-1");
    }
}
