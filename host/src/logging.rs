//! What the host logs about requests is chosen so nothing personal or secret is: methods,
//! paths (never queries: they carry phone numbers) and statuses.

/// The path of a request URI, for logs: the query (phone numbers, dates) is left out.
pub fn loggable_path(uri: &http::Uri) -> &str {
    uri.path()
}
