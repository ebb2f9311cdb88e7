//! Where Discord's OpenAPI file comes from, in order: `$DISCORD_OPENAPI`; `shared/discord-api/` beside
//! the checkout (what CI uses); else Discord's published copy, downloaded once into a cache under
//! `target/` and checked against its SHA-256, so that a fresh clone runs its tests. The repository holds
//! no copy of the spec. Discord's docs, which a few of the fake's own tests compare against, are found
//! beside the spec file the first two ways; there is no published copy pinned to download.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The commit of github.com/discord/discord-api-spec whose `specs/openapi.json` the fake follows (the
/// one in `shared/`).
const SPEC_COMMIT: &str = "74fda0fad044407ea280043a03ffc9bc64c4e49e";
/// Its SHA-256: a download that does not match is refused.
const SPEC_SHA256: &str = "8c1d0707ccdf8e380a86dfba04058820a66435c1b69d5ed82e04dd8c0520dd73";
const EXPLICIT_VARIABLE: &str = "DISCORD_OPENAPI";
/// The whole download: 1.2 MB.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// More than the spec's size many times over; a body past it is not the spec.
const MAX_SPEC_BYTES: usize = 64 << 20;

/// The three places the spec can come from.
#[derive(Debug, Clone)]
pub(crate) struct SpecSources {
    /// `$DISCORD_OPENAPI`, when set.
    pub explicit: Option<PathBuf>,
    /// `shared/discord-api/openapi.json` beside the checkout.
    pub shared: PathBuf,
    /// The downloaded copy.
    pub cache: PathBuf,
    /// Where the published copy is downloaded from.
    pub url: String,
}

/// The spec file as the environment and checkout say, located (and if need be downloaded) once per
/// process.
pub(crate) fn located() -> Result<PathBuf, String> {
    static LOCATED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    LOCATED
        .get_or_init(|| SpecSources::from_environment().locate())
        .clone()
}

impl SpecSources {
    pub fn from_environment() -> Self {
        // tests/fake-discord → the workspace → the folder the checkout sits in.
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap_or(Path::new("."));
        let beside = workspace.parent().unwrap_or(workspace);
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));
        SpecSources {
            explicit: std::env::var_os(EXPLICIT_VARIABLE).map(PathBuf::from),
            shared: beside.join("shared/discord-api/openapi.json"),
            cache: target
                .join("discord-api-spec")
                .join(SPEC_COMMIT)
                .join("openapi.json"),
            url: format!(
                "https://raw.githubusercontent.com/discord/discord-api-spec/{SPEC_COMMIT}/specs/openapi.json"
            ),
        }
    }

    /// The first of the three that has the spec; a download is verified before it enters the cache.
    pub fn locate(&self) -> Result<PathBuf, String> {
        if let Some(explicit) = &self.explicit {
            // Set on purpose: never silently replaced by another copy.
            return if explicit.is_file() {
                Ok(explicit.clone())
            } else {
                Err(self.nowhere(&format!(
                    "{EXPLICIT_VARIABLE} is set to {}, which is not a file",
                    explicit.display()
                )))
            };
        }
        if self.shared.is_file() {
            return Ok(self.shared.clone());
        }
        // A copy that does not verify (altered, say) is fetched again below.
        if std::fs::read(&self.cache).is_ok_and(|cached| verify(&cached).is_ok()) {
            return Ok(self.cache.clone());
        }
        self.download()
            .map(|()| self.cache.clone())
            .map_err(|why| self.nowhere(&why))
    }

    fn download(&self) -> Result<(), String> {
        let body = fetch(&self.url)?;
        verify(&body).map_err(|why| format!("the download from {} {why}", self.url))?;
        let folder = self.cache.parent().unwrap_or(Path::new("."));
        // Written beside the cache, then renamed into place: a process reading the cache meanwhile sees
        // the whole file or none.
        let written = std::fs::create_dir_all(folder)
            .and_then(|()| tempfile_in(folder, &body))
            .and_then(|partial| std::fs::rename(&partial, &self.cache));
        written.map_err(|error| {
            format!(
                "downloaded the spec but could not store it at {}: {error}",
                self.cache.display()
            )
        })
    }

    /// Discord's docs (`docs/` beside the spec file, as in `shared/discord-api/`), which only the fake's
    /// own tests read; `None` on a fresh clone, which has neither `shared/` nor a download of them.
    #[cfg(test)]
    pub fn docs(&self) -> Option<PathBuf> {
        self.explicit
            .iter()
            .chain([&self.shared])
            .filter_map(|spec| Some(spec.parent()?.join("docs")))
            .find(|docs| docs.is_dir())
    }

    /// The message when no source has the spec: every way to provide it, and why the last one failed.
    fn nowhere(&self, why: &str) -> String {
        format!(
            "Discord's OpenAPI file, which the fake Discord validates every request against, is not \
             available: {why}. Provide it in one of three ways: set {EXPLICIT_VARIABLE} to a copy of the \
             file; or put `shared/` beside the checkout (the file at {}); or let the tests download it \
             once from {} (SHA-256 {SPEC_SHA256}) into {}.",
            self.shared.display(),
            self.url,
            self.cache.display()
        )
    }
}

/// `Ok` when `body` is the spec the fake follows, byte for byte.
pub(crate) fn verify(body: &[u8]) -> Result<(), String> {
    let digest = ring::digest::digest(&ring::digest::SHA256, body);
    let hex: String = digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    if hex == SPEC_SHA256 {
        Ok(())
    } else {
        Err(format!(
            "has SHA-256 {hex}, not {SPEC_SHA256} (the spec at commit {SPEC_COMMIT})"
        ))
    }
}

/// GETs `url` on a runtime of its own, since the spec may be wanted inside or outside one.
fn fetch(url: &str) -> Result<Vec<u8>, String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| format!("could not start a runtime for the download: {error}"))?;
        runtime.block_on(async {
            let failed = |error: reqwest::Error| {
                let mut cause: &dyn std::error::Error = &error;
                while let Some(inner) = cause.source() {
                    cause = inner;
                }
                format!("downloading {url} failed: {cause}")
            };
            let client = reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(DOWNLOAD_TIMEOUT)
                .build()
                .map_err(failed)?;
            let response = client
                .get(&url)
                .send()
                .await
                .and_then(reqwest::Response::error_for_status)
                .map_err(failed)?;
            let body = response.bytes().await.map_err(failed)?;
            if body.len() > MAX_SPEC_BYTES {
                return Err(format!(
                    "{url} sent {} bytes, far more than the spec",
                    body.len()
                ));
            }
            Ok(body.to_vec())
        })
    })
    .join()
    .map_err(|_| "the download thread failed".to_owned())?
}

/// Writes `body` to a new file in `folder` named after this process, and returns its path.
fn tempfile_in(folder: &Path, body: &[u8]) -> std::io::Result<PathBuf> {
    let path = folder.join(format!("openapi.json.partial-{}", std::process::id()));
    let mut file = std::fs::File::create(&path)?;
    file.write_all(body)?;
    file.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::TcpListener;

    use super::*;

    /// A verified copy of the spec, wherever this checkout finds it.
    fn real_spec() -> Vec<u8> {
        std::fs::read(located().expect("the spec is available to the tests")).unwrap()
    }

    /// An HTTP server on 127.0.0.1 that answers one GET with `body`; its URL.
    fn serve_once(body: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/specs/openapi.json",
            listener.local_addr().unwrap()
        );
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        });
        url
    }

    fn closed_port_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/specs/openapi.json",
            listener.local_addr().unwrap()
        );
        drop(listener);
        url
    }

    /// Sources with nothing on disk, in a fresh folder; downloads go to `url`.
    fn sources(dir: &Path, url: String) -> SpecSources {
        SpecSources {
            explicit: None,
            shared: dir.join("shared/discord-api/openapi.json"),
            cache: dir
                .join("target/discord-api-spec")
                .join(SPEC_COMMIT)
                .join("openapi.json"),
            url,
        }
    }

    #[test]
    fn the_published_url_is_the_pinned_commit() {
        assert_eq!(
            SpecSources::from_environment().url,
            "https://raw.githubusercontent.com/discord/discord-api-spec/74fda0fad044407ea280043a03ffc9bc64c4e49e/specs/openapi.json"
        );
    }

    #[test]
    fn the_hash_accepts_the_spec_and_refuses_any_other_bytes() {
        let mut spec = real_spec();
        assert_eq!(verify(&spec), Ok(()));
        spec.push(b'\n');
        let refused = verify(&spec).unwrap_err();
        assert!(refused.contains(&format!("not {SPEC_SHA256}")), "{refused}");
    }

    #[test]
    fn a_verified_download_fills_the_cache_and_is_used_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let first = sources(dir.path(), serve_once(real_spec()));
        assert_eq!(first.locate(), Ok(first.cache.clone()));
        assert_eq!(verify(&std::fs::read(&first.cache).unwrap()), Ok(()));
        // Served once only: a second download would fail, so this is the cache.
        let again = sources(dir.path(), closed_port_url());
        assert_eq!(again.locate(), Ok(again.cache.clone()));
    }

    #[test]
    fn a_cached_copy_is_used_without_any_download() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources(dir.path(), closed_port_url());
        std::fs::create_dir_all(sources.cache.parent().unwrap()).unwrap();
        std::fs::write(&sources.cache, real_spec()).unwrap();
        assert_eq!(sources.locate(), Ok(sources.cache.clone()));
    }

    #[test]
    fn a_download_with_the_wrong_hash_is_refused_and_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources(dir.path(), serve_once(b"{\"openapi\": \"3.1.0\"}".to_vec()));
        let message = sources.locate().unwrap_err();
        assert!(
            message.contains(&format!("the download from {} has SHA-256", sources.url)),
            "{message}"
        );
        assert!(!sources.cache.exists());
    }

    #[test]
    fn an_altered_cache_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources(dir.path(), closed_port_url());
        std::fs::create_dir_all(sources.cache.parent().unwrap()).unwrap();
        std::fs::write(&sources.cache, b"{}").unwrap();
        let message = sources.locate().unwrap_err();
        assert!(message.contains("downloading"), "{message}");
    }

    #[test]
    fn when_nothing_has_the_spec_the_message_names_all_three_ways() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources(dir.path(), closed_port_url());
        let message = sources.locate().unwrap_err();
        for part in [
            format!("downloading {} failed", sources.url),
            "set DISCORD_OPENAPI".to_owned(),
            format!(
                "put `shared/` beside the checkout (the file at {})",
                sources.shared.display()
            ),
            format!("download it once from {}", sources.url),
            SPEC_SHA256.to_owned(),
            sources.cache.display().to_string(),
        ] {
            assert!(message.contains(&part), "`{part}` in: {message}");
        }
    }

    #[test]
    fn the_shared_copy_comes_before_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let sources = sources(dir.path(), closed_port_url());
        for path in [&sources.shared, &sources.cache] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, real_spec()).unwrap();
        }
        assert_eq!(sources.locate(), Ok(sources.shared.clone()));
    }

    #[test]
    fn an_explicit_path_is_used_as_given_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = sources(dir.path(), closed_port_url());
        let explicit = dir.path().join("mine.json");
        sources.explicit = Some(explicit.clone());
        let message = sources.locate().unwrap_err();
        assert!(
            message.contains(&format!(
                "DISCORD_OPENAPI is set to {}, which is not a file",
                explicit.display()
            )),
            "{message}"
        );
        std::fs::write(&explicit, b"{}").unwrap();
        assert_eq!(sources.locate(), Ok(explicit));
    }
}
