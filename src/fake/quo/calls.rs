//! Calls in a fake Quo: placed by the test ([`FakeQuo::answered_call`],
//! [`FakeQuo::missed_call`]), then listed per conversation and read with
//! their recordings, summary, transcript and voicemail, as Quo's call
//! operations answer them.

use serde_json::{json, Value};

use super::{now, user_id, FakeQuo, Handler};
use crate::fake::{Handler as _, RecordedRequest, Reply};

/// A call and what Quo keeps of it.
pub(super) struct Call {
    conversation_id: String,
    call: Value,
    recordings: Vec<Value>,
    summary: Value,
    transcript: Value,
    voicemail: Option<Value>,
}

impl Call {
    /// The call's id (`AC…`).
    pub(super) fn id(&self) -> &str {
        self.call["id"].as_str().unwrap_or_default()
    }

    /// The phone number it was on (`PN…`).
    pub(super) fn phone_number_id(&self) -> &str {
        self.call["phoneNumberId"].as_str().unwrap_or_default()
    }
}

impl FakeQuo {
    /// An incoming call in conversation `id`, answered by the first user:
    /// its recording, a summary and a transcript of `dialogue` (the
    /// contact and the user speaking in turn, ten seconds a line) are kept.
    /// Returns the call's id (`AC…`). Panics if there is no such
    /// conversation.
    pub fn answered_call(&self, id: &str, dialogue: &[&str]) -> String {
        let (mut call, conversation) = self.call(id);
        let call_id = call["id"].as_str().expect("set").to_string();
        let seconds = 10 * dialogue.len() as i64;
        let user = call["userId"].clone();
        call["status"] = "completed".into();
        call["answeredAt"] = call["createdAt"].clone();
        call["answeredBy"] = user.clone();
        call["duration"] = seconds.into();
        let contact = conversation.participants.first().cloned();
        let lines: Vec<Value> = dialogue
            .iter()
            .enumerate()
            .map(|(index, words)| {
                let by_user = index % 2 == 1;
                json!({
                    "content": words,
                    "start": (index * 10) as f64,
                    "end": (index * 10 + 9) as f64,
                    "identifier": if by_user { Value::Null } else { json!(contact) },
                    "userId": if by_user { user.clone() } else { Value::Null },
                })
            })
            .collect();
        let at = call["createdAt"].clone();
        self.keep(Call {
            conversation_id: id.to_string(),
            recordings: vec![json!({
                "duration": seconds,
                "id": self.state.next("CR"),
                "startTime": at,
                "status": "completed",
                "type": "audio/mpeg",
                "url": format!("https://recordings.fake-quo.example/{call_id}.mp3"),
            })],
            summary: json!({
                "callId": call_id,
                "status": "completed",
                "summary": [format!("A call of {} lines.", dialogue.len())],
                "nextSteps": ["Follow up by text."],
                "jobs": null,
            }),
            transcript: json!({
                "callId": call_id,
                "createdAt": at,
                "dialogue": lines,
                "duration": seconds as f64,
                "status": "completed",
            }),
            voicemail: None,
            call,
        });
        call_id
    }

    /// An incoming call in conversation `id` that nobody answered; the
    /// caller left `voicemail` (transcribed). No recording, summary or
    /// transcript. Returns the call's id. Panics if there is no such
    /// conversation.
    pub fn missed_call(&self, id: &str, voicemail: &str) -> String {
        let (mut call, _) = self.call(id);
        let call_id = call["id"].as_str().expect("set").to_string();
        call["status"] = "missed".into();
        let at = call["createdAt"].clone();
        self.keep(Call {
            conversation_id: id.to_string(),
            recordings: Vec::new(),
            summary: json!({
                "callId": call_id, "status": "absent", "summary": null, "nextSteps": null, "jobs": null,
            }),
            transcript: json!({
                "callId": call_id, "createdAt": at, "dialogue": null, "duration": 0.0, "status": "absent",
            }),
            voicemail: Some(json!({
                "duration": 12,
                "id": self.state.next("VM"),
                "transcript": voicemail,
                "recordingUrl": format!("https://recordings.fake-quo.example/{call_id}-voicemail.mp3"),
                "status": "completed",
            })),
            call,
        });
        call_id
    }

    /// A new incoming call in conversation `id`, not yet kept.
    fn call(
        &self,
        id: &str,
    ) -> (
        Value,
        crate::quo::types::ListConversationsV1ResponseDataItem,
    ) {
        let conversation = self
            .conversation(id)
            .unwrap_or_else(|| panic!("FakeQuo has no conversation {id:?}"));
        let user = self
            .state
            .users
            .names()
            .next()
            .map_or_else(|| "USfake".to_string(), user_id);
        let at = now();
        let call = json!({
            "answeredAt": null,
            "answeredBy": null,
            "initiatedBy": null,
            "direction": "incoming",
            "status": "completed",
            "completedAt": at,
            "createdAt": at,
            "callRoute": null,
            "duration": 0,
            "forwardedFrom": null,
            "forwardedTo": null,
            "aiHandled": null,
            "id": self.state.next("AC"),
            "phoneNumberId": conversation.phone_number_id,
            "participants": conversation.participants,
            "updatedAt": at,
            "userId": user,
        });
        (call, conversation)
    }

    fn keep(&self, call: Call) {
        self.state.calls.lock().expect("not poisoned").push(call);
    }
}

impl Handler {
    /// `listCalls_v1` and each call's parts; `None` for another route.
    pub(super) fn calls(
        &self,
        outsider: bool,
        request: &RecordedRequest,
        segments: &[&str],
    ) -> Option<Reply> {
        if request.method != "GET" {
            return None;
        }
        let part = match segments {
            ["v1", "calls"] => return Some(self.list_calls(outsider, request)),
            ["v1", "calls", id] => (*id, "call"),
            ["v1", "call-recordings", id] => (*id, "recordings"),
            ["v1", "call-summaries", id] => (*id, "summary"),
            ["v1", "call-transcripts", id] => (*id, "transcript"),
            ["v1", "call-voicemails", id] => (*id, "voicemail"),
            _ => return None,
        };
        let (id, part) = part;
        let calls = self.state.calls.lock().expect("not poisoned");
        let Some(call) = calls.iter().find(|c| c.call["id"] == id) else {
            return Some(self.error(404, "Call not found"));
        };
        if outsider {
            return Some(self.error(403, "Not Phone Number User"));
        }
        let data = match part {
            "call" => call.call.clone(),
            "recordings" => json!(call.recordings),
            "summary" => call.summary.clone(),
            "transcript" => call.transcript.clone(),
            _ => match &call.voicemail {
                Some(voicemail) => voicemail.clone(),
                None => return Some(self.error(404, "This call has no voicemail")),
            },
        };
        Some(Reply::json(200, &json!({ "data": data })))
    }

    /// `GET /v1/calls`: a conversation's calls (by phone number and
    /// participants, both required, as for messages), oldest first.
    fn list_calls(&self, outsider: bool, request: &RecordedRequest) -> Reply {
        let (page, conversation) = match self.listing_of(request, outsider) {
            Ok(found) => found,
            Err(reply) => return reply,
        };
        let calls: Vec<Value> = self
            .state
            .calls
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|c| Some(&c.conversation_id) == conversation.as_ref())
            .map(|c| c.call.clone())
            .collect();
        Reply::json(
            200,
            &page.apply(calls, |data, next, total| {
                json!({"data": data, "nextPageToken": next, "totalItems": total})
            }),
        )
    }
}
