//! Where the built console comes from: a `dist/` folder, or the copy embedded in the binary
//! (feature `embed-app`). Serving it is `routes/app_files.rs`.

use std::borrow::Cow;
use std::path::PathBuf;

#[cfg(feature = "embed-app")]
static EMBEDDED: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../dist");

/// Where the app's files come from.
#[derive(Clone, Debug)]
pub enum AppFiles {
    /// A folder on disk (Trunk's `dist/`), read on each request so a rebuild shows at once.
    Dir(PathBuf),
    /// The `dist/` that was present when the relay was compiled.
    #[cfg(feature = "embed-app")]
    Embedded,
}

impl AppFiles {
    /// The embedded app, if this binary was built with `--features embed-app`.
    pub fn embedded() -> Option<Self> {
        #[cfg(feature = "embed-app")]
        {
            EMBEDDED
                .get_file("index.html")
                .is_some()
                .then_some(AppFiles::Embedded)
        }
        #[cfg(not(feature = "embed-app"))]
        {
            None
        }
    }

    /// A short description for the start-up log.
    pub fn describe(&self) -> String {
        match self {
            AppFiles::Dir(dir) => dir.display().to_string(),
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => "embedded in the binary".into(),
        }
    }

    /// Whether the source has an `index.html`.
    pub fn has_index(&self) -> bool {
        match self {
            AppFiles::Dir(dir) => dir.join("index.html").is_file(),
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => true,
        }
    }

    pub async fn read(&self, relative: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            AppFiles::Dir(dir) => {
                let path = dir.join(relative);
                let meta = tokio::fs::metadata(&path).await.ok()?;
                if !meta.is_file() {
                    return None;
                }
                tokio::fs::read(path).await.ok().map(Cow::Owned)
            }
            #[cfg(feature = "embed-app")]
            AppFiles::Embedded => EMBEDDED
                .get_file(relative)
                .map(|f| Cow::Borrowed(f.contents())),
        }
    }
}
