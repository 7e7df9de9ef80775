//! The workspace a fake Quo serves: its users (one per
//! [`user`](super::FakeQuoBuilder::user), `US{name}`, the first the owner),
//! its phone numbers (every user but an outsider on each) and the contact
//! custom fields.

use serde_json::{json, Value};

use super::{page_of, user_id, Handler};
use crate::fake::{Handler as _, RecordedRequest, Reply};

/// When the fake's workspace was set up.
const SET_UP_AT: &str = "2024-01-02T09:00:00.000Z";

/// The contact custom fields of the fake's workspace.
pub(super) fn custom_fields() -> Value {
    json!([
        {"name": "Plan", "key": "plan", "type": "string"},
        {"name": "Renewal", "key": "renewal", "type": "date"},
        {"name": "Seats", "key": "seats", "type": "number"}
    ])
}

impl Handler {
    /// Users, phone numbers and custom fields; `None` for another route.
    pub(super) fn workspace(&self, request: &RecordedRequest, segments: &[&str]) -> Option<Reply> {
        let reply = match (request.method.as_str(), segments) {
            ("GET", ["v1", "users"]) => match page_of(request) {
                Ok(page) => Reply::json(
                    200,
                    &page.apply(self.users(), |data, next, total| {
                        json!({"data": data, "nextPageToken": next, "totalItems": total})
                    }),
                ),
                Err(reply) => reply,
            },
            ("GET", ["v1", "users", id]) => match self.users().into_iter().find(|u| u["id"] == *id)
            {
                Some(user) => Reply::json(200, &json!({ "data": user })),
                None => self.error(404, "User not found"),
            },
            ("GET", ["v1", "phone-numbers"]) => {
                // `userId`: only the numbers that user is on.
                let numbers: Vec<Value> = (0..self.state.phone_numbers.len())
                    .map(|index| self.phone_number(index))
                    .filter(|number| match request.query_param("userId") {
                        Some(user) => number["users"]
                            .as_array()
                            .is_some_and(|users| users.iter().any(|u| u["id"] == user)),
                        None => true,
                    })
                    .collect();
                Reply::json(200, &json!({ "data": numbers }))
            }
            ("GET", ["v1", "phone-numbers", id]) => {
                match self.state.phone_numbers.iter().position(|n| n == id) {
                    Some(index) => Reply::json(200, &json!({ "data": self.phone_number(index) })),
                    None => self.error(404, "Phone number not found"),
                }
            }
            ("GET", ["v1", "contact-custom-fields"]) => {
                Reply::json(200, &json!({ "data": custom_fields() }))
            }
            _ => return None,
        };
        Some(reply)
    }

    fn users(&self) -> Vec<Value> {
        self.state
            .users
            .names()
            .enumerate()
            .map(|(index, name)| {
                json!({
                    "id": user_id(name),
                    "email": format!("{name}@fake-quo.example"),
                    "firstName": name,
                    "lastName": null,
                    "pictureUrl": null,
                    "role": if index == 0 { "owner" } else { "member" },
                    "createdAt": SET_UP_AT,
                    "updatedAt": SET_UP_AT,
                })
            })
            .collect()
    }

    /// Phone number `index` as Quo describes one: every user but an
    /// outsider is on it.
    fn phone_number(&self, index: usize) -> Value {
        let users: Vec<Value> = self
            .users()
            .into_iter()
            .filter(|user| {
                let name = user["firstName"].as_str().unwrap_or_default();
                !self.state.outsiders.contains(name)
            })
            .map(|user| {
                json!({
                    "id": user["id"],
                    "email": user["email"],
                    "firstName": user["firstName"],
                    "lastName": user["lastName"],
                    "role": user["role"],
                    "groupId": "GRfake",
                })
            })
            .collect();
        let digits = format!("555000{:04}", index + 1);
        let restrictions =
            json!({"CA": "unrestricted", "Intl": "restricted", "US": "unrestricted"});
        json!({
            "id": self.state.phone_numbers[index],
            "groupId": "GRfake",
            "portRequestId": null,
            "formattedNumber": format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..]),
            "forward": null,
            "name": format!("Line {}", index + 1),
            "number": format!("+1{digits}"),
            "portingStatus": null,
            "symbol": null,
            "users": users,
            "createdAt": SET_UP_AT,
            "updatedAt": SET_UP_AT,
            "restrictions": {"calling": restrictions, "messaging": restrictions},
        })
    }
}
