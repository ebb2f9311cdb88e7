//! Discord's JSON error responses (opcodes-and-status-codes.mdx): status, numeric code and message, and
//! whether the error means the bot sent something Discord refuses (recorded as a violation).

use serde_json::{Value, json};

use crate::openapi::{self, Violation};

/// An error response the fake sends.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub body: Value,
    /// The problems, when the request itself was wrong (a bot bug, recorded as a violation).
    pub violations: Option<Vec<Violation>>,
}

impl ApiError {
    /// A plain `{"code", "message"}` error.
    pub fn new(status: u16, code: u32, message: &str) -> Self {
        ApiError {
            status,
            body: json!({"code": code, "message": message}),
            violations: None,
        }
    }

    /// Discord's 400 "Invalid Form Body" (50035) for `violations`, recorded as a bot violation.
    pub fn invalid_form(violations: Vec<Violation>) -> Self {
        ApiError {
            status: 400,
            body: openapi::invalid_form_body(&violations),
            violations: Some(violations),
        }
    }

    /// A 50035 for one field, recorded as a bot violation.
    pub fn invalid_field(pointer: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::invalid_form(vec![Violation {
            pointer: pointer.to_owned(),
            code,
            message: message.into(),
        }])
    }

    /// A 50035 for one field that depends on state (e.g. a reply to a deleted message): the bot may
    /// well have done nothing wrong, so it is not recorded as a violation.
    pub fn invalid_field_in_state(pointer: &str, code: &'static str, message: &str) -> Self {
        let violations = [Violation {
            pointer: pointer.to_owned(),
            code,
            message: message.to_owned(),
        }];
        ApiError {
            status: 400,
            body: openapi::invalid_form_body(&violations),
            violations: None,
        }
    }

    /// A request-level mistake with its own code (e.g. 50006 empty message), recorded as a violation.
    pub fn misuse(status: u16, code: u32, message: &str, pointer: &str) -> Self {
        let violation = Violation {
            pointer: pointer.to_owned(),
            code: "REQUEST_REFUSED",
            message: message.to_owned(),
        };
        ApiError {
            violations: Some(vec![violation]),
            ..Self::new(status, code, message)
        }
    }
}

pub(crate) fn unauthorized() -> ApiError {
    ApiError::new(401, 0, "401: Unauthorized")
}

pub(crate) fn not_found() -> ApiError {
    ApiError::new(404, 0, "404: Not Found")
}

pub(crate) fn method_not_allowed() -> ApiError {
    ApiError::new(405, 0, "405: Method Not Allowed")
}

pub(crate) fn server_error(status: u16) -> ApiError {
    let reason = match status {
        502 => "502: Bad Gateway",
        503 => "503: Service Unavailable",
        504 => "504: Gateway Timeout",
        _ => "500: Internal Server Error",
    };
    ApiError::new(status, 0, reason)
}

pub(crate) fn unknown_channel() -> ApiError {
    ApiError::new(404, 10003, "Unknown Channel")
}

pub(crate) fn unknown_guild() -> ApiError {
    ApiError::new(404, 10004, "Unknown Guild")
}

pub(crate) fn unknown_member() -> ApiError {
    ApiError::new(404, 10007, "Unknown Member")
}

pub(crate) fn unknown_message() -> ApiError {
    ApiError::new(404, 10008, "Unknown Message")
}

pub(crate) fn unknown_webhook() -> ApiError {
    ApiError::new(404, 10015, "Unknown Webhook")
}

pub(crate) fn unknown_interaction() -> ApiError {
    ApiError::new(404, 10062, "Unknown interaction")
}

pub(crate) fn unknown_command() -> ApiError {
    ApiError::new(404, 10063, "Unknown application command")
}

pub(crate) fn request_too_large() -> ApiError {
    ApiError::new(413, 40005, "Request entity too large")
}

pub(crate) fn already_acknowledged() -> ApiError {
    ApiError::new(400, 40060, "Interaction has already been acknowledged.")
}

pub(crate) fn missing_access() -> ApiError {
    ApiError::new(403, 50001, "Missing Access")
}

pub(crate) fn missing_permissions() -> ApiError {
    ApiError::new(403, 50013, "Missing Permissions")
}

pub(crate) fn cannot_edit_others_message() -> ApiError {
    ApiError::new(403, 50005, "Cannot edit a message authored by another user")
}

pub(crate) fn invalid_webhook_token() -> ApiError {
    ApiError::new(401, 50027, "Invalid Webhook Token")
}

pub(crate) fn invalid_json() -> ApiError {
    ApiError::misuse(400, 50109, "The request body contains invalid JSON.", "")
}

pub(crate) fn empty_message() -> ApiError {
    ApiError::misuse(400, 50006, "Cannot send an empty message", "")
}
