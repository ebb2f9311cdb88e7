//! Uploads (api-reference.mdx → Uploading Files): `multipart/form-data` bodies read into their parts
//! and checked as Discord checks them (`payload_json` carries the JSON body, each `files[n]` part has a
//! filename and a unique `n`, at most 10 files, each within the size limit); then the attachments a
//! message ends up with: every `attachments[].id` names a `files[n]` part (in an edit, or an attachment
//! the message already has), every `attachment://name` in an embed or component names one of them, and
//! the files an embed or component uses appear there instead of in `attachments` (message.mdx: the
//! message's `attachments` are "any attached files that are not referenced in embeds or components").
//!
//! Attachment objects carry what Discord derives from the bytes: `content_type`, `width` and `height`
//! of PNGs and GIFs, and the IS_ANIMATED flag of an animated GIF or APNG.
//!
//! Discord's error codes for these refusals are not documented; the fake's pointers and codes say
//! which rule was broken. Filenames are cleaned the way Discord cleans them (spaces become `_`, other
//! characters outside `[A-Za-z0-9._-]` go), and `attachment://` must name the cleaned name.

use std::collections::HashSet;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::errors::{self, ApiError};
use crate::openapi::Violation;
use crate::transcript::Part;

/// Discord's default per-file upload limit; interactions announce theirs as `attachment_size_limit`.
pub(crate) const DEFAULT_SIZE_LIMIT: u64 = 10 * 1024 * 1024;
/// message.mdx: up to 10 attachments (the spec's multipart schemas list `files[0]` to `files[9]`).
const MAX_FILES: usize = 10;
/// Attachment flags (message.mdx); IS_ANIMATED is also the embed media flag of an animated image.
const IS_SPOILER: u64 = 1 << 3;
const IS_ANIMATED: u64 = 1 << 5;
const CDN: &str = "https://cdn.discordapp.com/attachments";
const MEDIA_PROXY: &str = "https://media.discordapp.net/attachments";
const SCHEME: &str = "attachment://";

/// The routes whose spec operation takes `multipart/form-data` among those the fake serves.
pub(crate) const MULTIPART_ROUTES: [(&str, &str); 6] = [
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    (
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
    ),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    (
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
    ),
    (
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
    ),
];

/// One part of a multipart body as it arrived.
pub(crate) struct RawPart {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: Bytes,
}

impl RawPart {
    /// What the transcript keeps of the part: everything but the bytes, which it keeps as a hash.
    pub fn record(&self) -> Part {
        let digest = ring::digest::digest(&ring::digest::SHA256, &self.data);
        Part {
            name: self.name.clone(),
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.data.len(),
            sha256: digest.as_ref().iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// Reads a multipart body into its parts; `Err` says why it is not well-formed multipart.
pub(crate) async fn read_parts(content_type: &str, body: Bytes) -> Result<Vec<RawPart>, String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().map(str::to_owned);
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|m| m.essence_str().to_owned());
        let data = field.bytes().await.map_err(|e| e.to_string())?;
        parts.push(RawPart {
            name,
            filename,
            content_type,
            data,
        });
    }
    Ok(parts)
}

/// A file uploaded as `files[n]`.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    /// The `n`, which `attachments[].id` refers to.
    pub index: u64,
    pub filename: String,
    pub content_type: Option<String>,
    pub data: Bytes,
}

/// A checked multipart body.
pub(crate) struct Form {
    /// The JSON body from `payload_json`; without it, `{}`.
    pub json: Value,
    pub files: Vec<Upload>,
    /// Form fields other than `payload_json` and `files[n]` (Discord reads message fields from them
    /// too; the fake does not).
    pub other_fields: Vec<String>,
}

/// Checks the parts of a multipart body; `size_limit` is the per-file limit of the route.
pub(crate) fn check(parts: &[RawPart], size_limit: u64) -> Result<Form, ApiError> {
    let mut json = None;
    let mut files: Vec<Upload> = Vec::new();
    let mut other_fields = Vec::new();
    let mut violations = Vec::new();
    let mut too_big = None;
    for part in parts {
        let Some(name) = part.name.as_deref() else {
            violations.push(Violation {
                pointer: String::new(),
                code: "BASE_TYPE_REQUIRED",
                message: "A part has no name in its Content-Disposition header.".to_owned(),
            });
            continue;
        };
        if name == "payload_json" {
            if json.is_some() {
                violations.push(Violation {
                    pointer: "/payload_json".to_owned(),
                    code: "DUPLICATE_PART",
                    message: "payload_json is given twice.".to_owned(),
                });
            }
            json = Some(serde_json::from_slice(&part.data).map_err(|_| errors::invalid_json())?);
            continue;
        }
        let Some(index) = file_index(name) else {
            other_fields.push(name.to_owned());
            continue;
        };
        let pointer = format!("/{name}");
        let Some(filename) = part.filename.clone().filter(|f| !f.is_empty()) else {
            violations.push(Violation {
                pointer,
                code: "BASE_TYPE_REQUIRED",
                message: format!(
                    "The part {name} needs a filename in its Content-Disposition header."
                ),
            });
            continue;
        };
        if files.iter().any(|f| f.index == index) {
            violations.push(Violation {
                pointer,
                code: "DUPLICATE_PART",
                message: format!("{name} is given twice; each file needs a name of its own."),
            });
            continue;
        }
        if part.data.len() as u64 > size_limit {
            too_big.get_or_insert_with(|| (name.to_owned(), part.data.len()));
        }
        files.push(Upload {
            index,
            filename,
            content_type: part.content_type.clone(),
            data: part.data.clone(),
        });
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid_form(violations));
    }
    if files.len() > MAX_FILES {
        return Err(ApiError::misuse(
            400,
            30015,
            "Maximum number of attachments in a message reached (10)",
            "/files",
        ));
    }
    if let Some((name, size)) = too_big {
        return Err(ApiError::misuse(
            413,
            40005,
            &format!(
                "Request entity too large: {name} has {size} bytes, over the limit of {size_limit}"
            ),
            &format!("/{name}"),
        ));
    }
    Ok(Form {
        json: json.unwrap_or_else(|| json!({})),
        files,
        other_fields,
    })
}

/// The `n` of a part named `files[n]`.
fn file_index(name: &str) -> Option<u64> {
    let n = name.strip_prefix("files[")?.strip_suffix(']')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// Gives `message` (in its response form, embeds and components already applied) the attachments
/// that `body` and the uploaded `files` ask for. `kept` holds every file of the message, those shown in
/// embeds and components included; in an edit it comes in holding the message's files so far.
pub(crate) fn attach(
    message: &mut Value,
    kept: &mut Vec<Value>,
    body: &Value,
    files: &[Upload],
    editing: bool,
    next_id: &mut dyn FnMut() -> u64,
) -> Result<(), ApiError> {
    let channel = message["channel_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut violations = Vec::new();
    let attachments = match body.get("attachments").and_then(Value::as_array) {
        Some(entries) => {
            let mut seen = HashSet::new();
            let mut listed = Vec::new();
            for (i, entry) in entries.iter().enumerate() {
                let id = match &entry["id"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let pointer = format!("/attachments/{i}/id");
                if !seen.insert(id.clone()) {
                    violations.push(Violation {
                        pointer,
                        code: "DUPLICATE_ATTACHMENT",
                        message: format!("Attachment id {id} is listed twice."),
                    });
                } else if let Some(file) = files.iter().find(|f| f.index.to_string() == id) {
                    listed.push(new_attachment(file, entry, &channel, next_id()));
                } else if let Some(existing) = kept.iter().find(|a| editing && a["id"] == id) {
                    let mut existing = existing.clone();
                    for key in ["description", "title"] {
                        if let Some(text) = entry[key].as_str() {
                            existing[key] = json!(text);
                        }
                    }
                    listed.push(existing);
                } else {
                    let has = if editing {
                        "the message has no attachment with this id"
                    } else {
                        "a new attachment's id must be the n of a files[n] part"
                    };
                    violations.push(Violation {
                        pointer,
                        code: "ATTACHMENT_NOT_FOUND",
                        message: format!("No files[{id}] part was uploaded, and {has}."),
                    });
                }
            }
            listed
        }
        // Without `attachments`, a new message gets every file, and an edit appends them.
        None => {
            let mut all = if editing { kept.clone() } else { Vec::new() };
            all.extend(
                files
                    .iter()
                    .map(|f| new_attachment(f, &Value::Null, &channel, next_id())),
            );
            all
        }
    };
    let mut shown = HashSet::new();
    if let Some(embeds) = message.get_mut("embeds").and_then(Value::as_array_mut) {
        for (e, embed) in embeds.iter_mut().enumerate() {
            for (key, url_key, proxy_key) in [
                ("image", "url", "proxy_url"),
                ("thumbnail", "url", "proxy_url"),
                ("author", "icon_url", "proxy_icon_url"),
                ("footer", "icon_url", "proxy_icon_url"),
            ] {
                let Some(target) = embed.get_mut(key).filter(|t| t.is_object()) else {
                    continue;
                };
                let pointer = format!("/embeds/{e}/{key}/{url_key}");
                let Some(file) = resolve(target, url_key, &attachments, &pointer, &mut violations)
                else {
                    continue;
                };
                shown.insert(file["id"].clone());
                target[url_key] = file["url"].clone();
                target[proxy_key] = file["proxy_url"].clone();
                if url_key == "url" {
                    for field in ["width", "height", "content_type"] {
                        if let Some(v) = file.get(field) {
                            target[field] = v.clone();
                        }
                    }
                    if file["flags"].as_u64().unwrap_or(0) & IS_ANIMATED != 0 {
                        target["flags"] = json!(IS_ANIMATED);
                    }
                }
            }
        }
    }
    if let Some(components) = message.get_mut("components") {
        resolve_media(
            components,
            "/components",
            &attachments,
            &mut shown,
            &mut violations,
        );
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid_form(violations));
    }
    message["attachments"] = Value::Array(
        attachments
            .iter()
            .filter(|a| !shown.contains(&a["id"]))
            .cloned()
            .collect(),
    );
    *kept = attachments;
    Ok(())
}

/// The file `target[url_key]` shows: named by `attachment://` (a violation if none has that name), or
/// by its CDN url (an embed kept from before an edit).
fn resolve<'a>(
    target: &Value,
    url_key: &str,
    attachments: &'a [Value],
    pointer: &str,
    violations: &mut Vec<Violation>,
) -> Option<&'a Value> {
    let url = target.get(url_key)?.as_str()?;
    match url.strip_prefix(SCHEME) {
        Some(name) => {
            let found = attachments.iter().find(|a| a["filename"] == name);
            if found.is_none() {
                violations.push(Violation {
                    pointer: pointer.to_owned(),
                    code: "UNFURLED_MEDIA_ITEM_REFERENCED_ATTACHMENT_NOT_FOUND",
                    message: format!("The referenced attachment (\"{url}\") was not found"),
                });
            }
            found
        }
        None => attachments.iter().find(|a| a["url"] == url),
    }
}

/// Resolves the unfurled media items (`{"url": …}` under `media` or `file`) of a component tree.
fn resolve_media(
    value: &mut Value,
    pointer: &str,
    attachments: &[Value],
    shown: &mut HashSet<Value>,
    violations: &mut Vec<Violation>,
) {
    match value {
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_media(
                    item,
                    &format!("{pointer}/{i}"),
                    attachments,
                    shown,
                    violations,
                );
            }
        }
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let here = format!("{pointer}/{key}");
                let is_media = matches!(key.as_str(), "media" | "file") && child.is_object();
                if is_media
                    && let Some(file) = resolve(
                        child,
                        "url",
                        attachments,
                        &format!("{here}/url"),
                        violations,
                    )
                {
                    shown.insert(file["id"].clone());
                    child["url"] = file["url"].clone();
                    child["proxy_url"] = file["proxy_url"].clone();
                    child["attachment_id"] = file["id"].clone();
                    for field in ["width", "height", "content_type"] {
                        if let Some(v) = file.get(field) {
                            child[field] = v.clone();
                        }
                    }
                } else {
                    resolve_media(child, &here, attachments, shown, violations);
                }
            }
        }
        _ => {}
    }
}

/// The attachment object Discord returns for an uploaded file, with the request's metadata `entry`.
fn new_attachment(file: &Upload, entry: &Value, channel: &str, id: u64) -> Value {
    let requested = entry["filename"].as_str().unwrap_or(&file.filename);
    let mut filename = clean_filename(requested);
    let spoiler = entry["is_spoiler"].as_bool() == Some(true);
    if spoiler && !filename.starts_with("SPOILER_") {
        filename = format!("SPOILER_{filename}");
    }
    let mut attachment = Map::new();
    attachment.insert("id".to_owned(), json!(id.to_string()));
    attachment.insert("filename".to_owned(), json!(filename));
    attachment.insert("size".to_owned(), json!(file.data.len()));
    attachment.insert(
        "url".to_owned(),
        json!(format!("{CDN}/{channel}/{id}/{filename}")),
    );
    attachment.insert(
        "proxy_url".to_owned(),
        json!(format!("{MEDIA_PROXY}/{channel}/{id}/{filename}")),
    );
    if let Some(content_type) = content_type(file) {
        attachment.insert("content_type".to_owned(), json!(content_type));
    }
    if let Some((width, height)) = dimensions(&file.data) {
        attachment.insert("width".to_owned(), json!(width));
        attachment.insert("height".to_owned(), json!(height));
    }
    for key in ["description", "title"] {
        if let Some(text) = entry[key].as_str() {
            attachment.insert(key.to_owned(), json!(text));
        }
    }
    let flags = if spoiler { IS_SPOILER } else { 0 }
        | if is_animated(&file.data) {
            IS_ANIMATED
        } else {
            0
        };
    if flags != 0 {
        attachment.insert("flags".to_owned(), json!(flags));
    }
    Value::Object(attachment)
}

/// A filename as Discord stores it: path separators and runs of whitespace become `_`, characters
/// outside `[A-Za-z0-9._-]` are dropped, and so are leading and trailing dots and underscores.
fn clean_filename(name: &str) -> String {
    let spaced = name.replace(['/', '\\'], " ");
    let joined = spaced.split_whitespace().collect::<Vec<_>>().join("_");
    let kept: String = joined
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    let trimmed = kept.trim_matches(['.', '_']);
    if trimmed.is_empty() {
        "unknown".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The media type: what the bytes are (PNG, GIF), else what the part said, else the extension's.
fn content_type(file: &Upload) -> Option<String> {
    if file.data.starts_with(PNG_SIGNATURE) {
        return Some("image/png".to_owned());
    }
    if file.data.starts_with(b"GIF87a") || file.data.starts_with(b"GIF89a") {
        return Some("image/gif".to_owned());
    }
    if let Some(declared) = &file.content_type {
        return Some(declared.clone());
    }
    let extension = file.filename.rsplit_once('.')?.1.to_ascii_lowercase();
    let guessed = match extension.as_str() {
        "png" => "image/png",
        "gif" => "image/gif",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "txt" => "text/plain; charset=utf-8",
        "json" => "application/json",
        _ => return None,
    };
    Some(guessed.to_owned())
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Width and height of a PNG (its IHDR chunk) or a GIF (its logical screen).
fn dimensions(data: &[u8]) -> Option<(u32, u32)> {
    if data.starts_with(PNG_SIGNATURE) && data.get(12..16) == Some(b"IHDR") {
        let word = |at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
        };
        return Some((word(16)?, word(20)?));
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        let half = |at: usize| -> Option<u32> {
            Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?).into())
        };
        return Some((half(6)?, half(8)?));
    }
    None
}

/// Whether an image moves: an APNG (an `acTL` chunk before the image data) or a GIF of two or more
/// frames.
fn is_animated(data: &[u8]) -> bool {
    if data.starts_with(PNG_SIGNATURE) {
        let mut at = PNG_SIGNATURE.len();
        while let (Some(length), Some(kind)) = (data.get(at..at + 4), data.get(at + 4..at + 8)) {
            match kind {
                b"acTL" => return true,
                b"IDAT" => return false,
                _ => {}
            }
            let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]);
            // length, type, data, CRC
            at = at.saturating_add(12).saturating_add(length as usize);
        }
        return false;
    }
    gif_frames(data) > 1
}

/// The image descriptors of a GIF, counted until its trailer or the end of the bytes.
fn gif_frames(data: &[u8]) -> usize {
    if !(data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a")) {
        return 0;
    }
    // A colour table flagged in `packed` holds 3 × 2^(size + 1) bytes.
    let table = |packed: u8| {
        if packed & 0x80 != 0 {
            3usize << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let Some(&screen) = data.get(10) else {
        return 0;
    };
    let mut at = 13 + table(screen);
    let mut frames = 0;
    loop {
        at = match data.get(at) {
            // An extension: label, then data sub-blocks.
            Some(0x21) => at + 2,
            Some(0x2C) => {
                frames += 1;
                let Some(&packed) = data.get(at + 9) else {
                    return frames;
                };
                // The descriptor, its colour table, the LZW code size; then data sub-blocks.
                at + 10 + table(packed) + 1
            }
            _ => return frames,
        };
        loop {
            let Some(&size) = data.get(at) else {
                return frames;
            };
            at += 1 + usize::from(size);
            if size == 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_cleaned_as_discord_cleans_them() {
        assert_eq!(clean_filename("cat-cow.png"), "cat-cow.png");
        assert_eq!(clean_filename("image two.png"), "image_two.png");
        assert_eq!(clean_filename("../etc/passwd"), "etc_passwd");
        assert_eq!(clean_filename("画像.png"), "png");
        assert_eq!(clean_filename("__"), "unknown");
    }

    #[test]
    fn png_and_gif_dimensions_come_from_their_headers() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&400u32.to_be_bytes());
        png.extend_from_slice(&300u32.to_be_bytes());
        assert_eq!(dimensions(&png), Some((400, 300)));
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&320u16.to_le_bytes());
        gif.extend_from_slice(&200u16.to_le_bytes());
        assert_eq!(dimensions(&gif), Some((320, 200)));
        assert_eq!(dimensions(b"\x89PNG"), None);
        assert_eq!(dimensions(b"plain text"), None);
    }

    #[test]
    fn animated_gifs_and_apngs_are_told_from_stills() {
        let frame: &[u8] = &[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0];
        let control: &[u8] = &[0x21, 0xF9, 4, 0, 10, 0, 0, 0];
        let gif = |frames: usize| {
            let mut bytes = b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec();
            bytes.extend_from_slice(&[0; 6]); // a global table of two colours
            for _ in 0..frames {
                bytes.extend_from_slice(control);
                bytes.extend_from_slice(frame);
            }
            bytes.push(0x3B);
            bytes
        };
        assert_eq!(gif_frames(&gif(1)), 1);
        assert_eq!(gif_frames(&gif(3)), 3);
        assert!(!is_animated(&gif(1)));
        assert!(is_animated(&gif(2)));
        assert_eq!(
            gif_frames(&gif(2)[..30]),
            1,
            "a cut-off GIF counts what it holds"
        );

        let chunk = |kind: &[u8], body: &[u8]| {
            let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
            bytes.extend_from_slice(kind);
            bytes.extend_from_slice(body);
            bytes.extend_from_slice(&[0; 4]);
            bytes
        };
        let png = |extra: &[u8]| {
            let mut bytes = PNG_SIGNATURE.to_vec();
            bytes.extend(chunk(b"IHDR", &[0; 13]));
            bytes.extend_from_slice(extra);
            bytes.extend(chunk(b"IDAT", &[0; 3]));
            bytes.extend(chunk(b"acTL", &[0; 8]));
            bytes
        };
        assert!(!is_animated(&png(&[])), "acTL after IDAT does not count");
        assert!(is_animated(&png(&chunk(b"acTL", &[0; 8]))));
    }

    #[test]
    fn only_files_n_parts_are_files() {
        assert_eq!(file_index("files[0]"), Some(0));
        assert_eq!(file_index("files[42]"), Some(42));
        for name in [
            "files[]",
            "files[-1]",
            "files[x]",
            "file",
            "files[1",
            "payload_json",
        ] {
            assert_eq!(file_index(name), None, "{name}");
        }
    }

    #[test]
    fn the_multipart_routes_are_the_served_routes_whose_spec_takes_multipart() {
        let text = std::fs::read_to_string(
            crate::validation::default_spec_path().expect("the spec is found"),
        )
        .expect("spec");
        let spec: Value = serde_json::from_str(&text).expect("spec JSON");
        let mut expected: Vec<(String, String)> = crate::routes::ROUTES
            .iter()
            .filter(|r| {
                spec["paths"][r.template][r.method.to_ascii_lowercase()]["requestBody"]["content"]
                    .get("multipart/form-data")
                    .is_some()
            })
            .map(|r| (r.method.to_owned(), r.template.to_owned()))
            .collect();
        let mut listed: Vec<(String, String)> = MULTIPART_ROUTES
            .iter()
            .map(|(m, t)| ((*m).to_owned(), (*t).to_owned()))
            .collect();
        expected.sort();
        listed.sort();
        assert_eq!(listed, expected);
    }
}
