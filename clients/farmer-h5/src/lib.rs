//! The farmers' mobile page lives beside this crate as plain files
//! (`index.html`, `app.js`, `style.css`); the server embeds them and serves them
//! at `/h5/`. This crate only holds the page's browser test (`tests/browser.rs`)
//! and names the files for anyone who wants to embed them elsewhere.

/// The page's files, by the name they are served under.
pub const FILES: [(&str, &str); 3] = [
    ("index.html", include_str!("../index.html")),
    ("app.js", include_str!("../app.js")),
    ("style.css", include_str!("../style.css")),
];
