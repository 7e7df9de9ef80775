//! Tasks in a fake Quo: created linked to one phone number, conversation or
//! activity (a message or call), listed, read, edited, deleted, completed
//! and reopened, assigned, linked to conversations and given due dates, as
//! Quo's task operations answer them. Every change moves `revision`.

use serde_json::{json, Map, Value};

use super::{now, page_of, user_id, Handler};
use crate::fake::{Handler as _, RecordedRequest, Reply};

/// The members a task's create body may have (Quo refuses any other).
const CREATE_MEMBERS: &[&str] = &[
    "title",
    "description",
    "dueDate",
    "assignedTo",
    "phoneNumberId",
    "conversationId",
    "activityId",
];

impl Handler {
    /// The task operations; `None` for another route.
    pub(super) fn tasks(
        &self,
        user: &str,
        request: &RecordedRequest,
        segments: &[&str],
    ) -> Option<Reply> {
        let reply = match (request.method.as_str(), segments) {
            ("GET", ["v1", "tasks"]) => match page_of(request) {
                Ok(page) => {
                    let tasks = self.state.tasks.lock().expect("not poisoned").clone();
                    Reply::json(
                        200,
                        &page.apply(tasks, |data, next, total| {
                            json!({"data": data, "nextPageToken": next, "totalItems": total})
                        }),
                    )
                }
                Err(reply) => reply,
            },
            ("POST", ["v1", "tasks"]) => self.create_task(user, request),
            ("GET", ["v1", "tasks", id]) => self.change_task(id, |_| Ok(false)),
            ("DELETE", ["v1", "tasks", id]) => {
                let mut tasks = self.state.tasks.lock().expect("not poisoned");
                let before = tasks.len();
                tasks.retain(|task| task["taskId"] != *id);
                if tasks.len() == before {
                    self.error(404, "Task not found")
                } else {
                    Reply {
                        status: 204,
                        headers: Vec::new(),
                        body: Vec::new(),
                    }
                }
            }
            ("PUT", ["v1", "tasks", id]) => {
                let body = match self.object(request, &["title", "description"]) {
                    Ok(body) => body,
                    Err(reply) => return Some(reply),
                };
                let (Some(title), Some(description)) = (
                    body.get("title").and_then(Value::as_str),
                    body.get("description").and_then(Value::as_str),
                ) else {
                    return Some(self.error(400, "title and description are required"));
                };
                self.change_task(id, |task| {
                    task["title"] = title.into();
                    task["description"] = description.into();
                    Ok(true)
                })
            }
            ("POST", ["v1", "tasks", id, action]) => self.task_action(user, id, action, request)?,
            _ => return None,
        };
        Some(reply)
    }

    /// `POST /v1/tasks/{id}/{action}`; `None` for an action Quo does not have.
    fn task_action(
        &self,
        user: &str,
        id: &str,
        action: &str,
        request: &RecordedRequest,
    ) -> Option<Reply> {
        let member = match action {
            "complete" | "reopen" | "remove-due-date" => None,
            "assign" | "unassign" => Some("userId"),
            "link-conversation" | "unlink-conversation" => Some("conversationId"),
            "change-due-date" => Some("dueDate"),
            _ => return None,
        };
        let value = match member {
            None => String::new(),
            Some(member) => {
                let body = match self.object(request, &[member]) {
                    Ok(body) => body,
                    Err(reply) => return Some(reply),
                };
                match body.get(member).and_then(Value::as_str) {
                    Some(value) => value.to_string(),
                    None => return Some(self.error(400, &format!("{member} is required"))),
                }
            }
        };
        Some(self.change_task(id, |task| {
            match action {
                "complete" => task["completed"] = true.into(),
                "reopen" => task["completed"] = false.into(),
                "remove-due-date" => task["dueDate"] = Value::Null,
                "change-due-date" => {
                    if value
                        .parse::<chrono::DateTime<chrono::FixedOffset>>()
                        .is_err()
                    {
                        return Err((400, "dueDate must be a date-time".into()));
                    }
                    task["dueDate"] = value.as_str().into();
                }
                "assign" => {
                    if !self.state.has_user(&value) {
                        return Err((404, format!("No user {value}")));
                    }
                    task["assignedTo"] = value.as_str().into();
                    task["assignedBy"] = user_id(user).into();
                }
                "unassign" => {
                    if task["assignedTo"] != value.as_str() {
                        return Err((400, format!("The task is not assigned to {value}")));
                    }
                    task["assignedTo"] = Value::Null;
                    task["assignedBy"] = Value::Null;
                }
                "link-conversation" => {
                    if self.state.conversation(&value).is_none() {
                        return Err((404, format!("No conversation {value}")));
                    }
                    task["conversationId"] = value.as_str().into();
                }
                _ => {
                    if task["conversationId"] != value.as_str() {
                        return Err((400, format!("The task is not linked to {value}")));
                    }
                    task["conversationId"] = Value::Null;
                }
            }
            Ok(true)
        }))
    }

    /// `POST /v1/tasks`: title, description and exactly one of a phone
    /// number, a conversation or an activity the fake has.
    fn create_task(&self, user: &str, request: &RecordedRequest) -> Reply {
        let body = match self.object(request, CREATE_MEMBERS) {
            Ok(body) => body,
            Err(reply) => return reply,
        };
        let text = |name: &str| body.get(name).and_then(Value::as_str);
        let (Some(title), Some(description)) = (text("title"), text("description")) else {
            return self.error(400, "title and description are required");
        };
        let links: Vec<&str> = ["phoneNumberId", "conversationId", "activityId"]
            .into_iter()
            .filter(|name| body.contains_key(*name))
            .collect();
        let [link] = links.as_slice() else {
            return self.error(
                400,
                "exactly one of phoneNumberId, conversationId or activityId is required",
            );
        };
        let target = text(link).unwrap_or_default();
        // The phone number a task is on: the one named, or the linked
        // conversation's, message's or call's.
        let phone_number = match *link {
            "phoneNumberId" => self
                .state
                .phone_numbers
                .iter()
                .find(|n| *n == target)
                .cloned(),
            "conversationId" => self.state.conversation(target).map(|c| c.phone_number_id),
            _ => self
                .state
                .messages
                .lock()
                .expect("not poisoned")
                .iter()
                .find(|m| m.id == target)
                .and_then(|m| m.phone_number_id.clone())
                .or_else(|| {
                    self.state
                        .calls
                        .lock()
                        .expect("not poisoned")
                        .iter()
                        .find(|c| c.id() == target)
                        .map(|c| c.phone_number_id().to_string())
                }),
        };
        let Some(phone_number) = phone_number else {
            return self.error(404, &format!("No {link} {target}"));
        };
        if let Some(assignee) = text("assignedTo") {
            if !self.state.has_user(assignee) {
                return self.error(404, &format!("No user {assignee}"));
            }
        }
        let mut task = json!({
            "taskId": self.state.next("TK"),
            "phoneNumberId": null,
            "conversationId": null,
            "activityId": null,
            "phoneNumberGroupId": null,
            "orgId": "ORfake",
            "title": title,
            "description": description,
            "dueDate": body.get("dueDate").cloned().unwrap_or(Value::Null),
            "assignedTo": body.get("assignedTo").cloned().unwrap_or(Value::Null),
            "assignedBy": if body.contains_key("assignedTo") { json!(user_id(user)) } else { Value::Null },
            "createdAt": now(),
            "createdBy": user_id(user),
            "completed": false,
            "isDeleted": false,
            "revision": "1",
        });
        task["phoneNumberId"] = phone_number.into();
        task[*link] = target.into();
        self.state
            .tasks
            .lock()
            .expect("not poisoned")
            .push(task.clone());
        // Created: its id, revision, phone number and what it is linked to.
        let mut data = json!({
            "taskId": task["taskId"],
            "revision": task["revision"],
            "phoneNumberId": task["phoneNumberId"],
        });
        data[*link] = target.into();
        Reply::json(201, &json!({ "data": data }))
    }

    /// Applies `change` to task `id` and answers it: the task when nothing
    /// changed (a read), else its id and moved `revision`, as Quo's actions
    /// answer; a change refused answers its status and message.
    fn change_task(
        &self,
        id: &str,
        change: impl FnOnce(&mut Value) -> Result<bool, (u16, String)>,
    ) -> Reply {
        let mut tasks = self.state.tasks.lock().expect("not poisoned");
        let Some(task) = tasks.iter_mut().find(|task| task["taskId"] == id) else {
            return self.error(404, "Task not found");
        };
        let mut changed = task.clone();
        match change(&mut changed) {
            Ok(moved) => {
                if moved {
                    let revision: u64 = changed["revision"]
                        .as_str()
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(0);
                    changed["revision"] = (revision + 1).to_string().into();
                }
                *task = changed;
                // Reading answers the task; a change, its id and revision.
                let data = if moved {
                    json!({"taskId": task["taskId"], "revision": task["revision"]})
                } else {
                    task.clone()
                };
                Reply::json(200, &json!({ "data": data }))
            }
            Err((status, message)) => self.error(status, &message),
        }
    }

    /// The request's body as a JSON object with only `allowed` members.
    fn object(
        &self,
        request: &RecordedRequest,
        allowed: &[&str],
    ) -> Result<Map<String, Value>, Reply> {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return Err(self.error(400, "The body must be a JSON object"));
        };
        if let Some(other) = body.keys().find(|key| !allowed.contains(&key.as_str())) {
            return Err(self.error(400, &format!("{other} is not allowed")));
        }
        Ok(body)
    }
}
