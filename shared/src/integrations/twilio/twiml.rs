//! TwiML: the XML a call's voice webhook answers, telling Twilio what to
//! play. Built as text with every value escaped; small enough not to need
//! an XML library.

/// The declaration every TwiML document starts with.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// What the callee hears when we cannot play the call as planned.
pub const APOLOGY: &str =
    "Sorry, we are unable to take this call right now. We will try again later. Goodbye.";

/// `text` with the five XML special characters escaped, safe in element
/// content and in double- or single-quoted attributes. Characters XML 1.0
/// forbids (control characters other than tab and newlines) are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `<Play>url</Play>`.
pub fn play(url: &str) -> String {
    format!("<Play>{}</Play>", escape(url))
}

/// `<Say>text</Say>`.
pub fn say(text: &str) -> String {
    format!("<Say>{}</Say>", escape(text))
}

/// `<Hangup/>`.
pub fn hangup() -> &'static str {
    "<Hangup/>"
}

/// A whole document whose `<Response>` holds `verbs` (already TwiML).
pub fn response(verbs: &str) -> String {
    format!("{DECLARATION}<Response>{verbs}</Response>")
}

/// A short apology, then the call ends.
pub fn apology() -> String {
    response(&format!("{}{}", say(APOLOGY), hangup()))
}

/// `twiml` (a whole document, ElevenLabs' say) with `verbs` inserted
/// first inside its `<Response>`, so they run before its own verbs.
/// `None` when `twiml` has no `<Response>` element.
pub fn prepend(twiml: &str, verbs: &str) -> Option<String> {
    let start = find_response_tag(twiml)?;
    let end = start + twiml[start..].find('>')?;
    let tag = &twiml[start..=end];
    if let Some(attributes) = tag.strip_suffix("/>") {
        // `<Response/>`: nothing of its own to run after ours.
        let open = format!("{}>", attributes.trim_end());
        return Some(format!(
            "{}{open}{verbs}</Response>{}",
            &twiml[..start],
            &twiml[end + 1..]
        ));
    }
    Some(format!("{}{verbs}{}", &twiml[..=end], &twiml[end + 1..]))
}

/// Where the `<Response` start tag begins (not `<ResponseX`).
fn find_response_tag(twiml: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = twiml[from..].find("<Response") {
        let at = from + offset;
        let next = twiml[at + "<Response".len()..].chars().next();
        if matches!(next, Some('>' | '/') | Some(' ' | '\t' | '\n' | '\r')) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"Tom & Jerry's <"best"> deal"#),
            "Tom &amp; Jerry&apos;s &lt;&quot;best&quot;&gt; deal"
        );
        assert_eq!(escape("a\u{0}b\u{7}c\nd"), "abc\nd");
        assert_eq!(escape("café 日本 😀"), "café 日本 😀");
    }

    #[test]
    fn builds_documents() {
        assert_eq!(
            response(&play("https://cdn.example.test/a.mp3?x=1&y=2")),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Play>https://cdn.example.test/a.mp3?x=1&amp;y=2</Play></Response>"#
        );
        assert!(apology().contains("<Say>Sorry"));
        assert!(apology().ends_with("<Hangup/></Response>"));
    }

    #[test]
    fn prepends_inside_the_response() {
        let theirs = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://x"/></Connect></Response>"#;
        assert_eq!(
            prepend(theirs, "<Play>a</Play>").unwrap(),
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Play>a</Play><Connect><Stream url="wss://x"/></Connect></Response>"#
        );
        assert_eq!(
            prepend(
                "<Response\n  a=\"1\"><Say>x</Say></Response>",
                "<Play>a</Play>"
            )
            .unwrap(),
            "<Response\n  a=\"1\"><Play>a</Play><Say>x</Say></Response>"
        );
        assert_eq!(
            prepend("<Response/>", "<Play>a</Play>").unwrap(),
            "<Response><Play>a</Play></Response>"
        );
        assert_eq!(
            prepend("<ResponseX/><Response>", "<P/>").unwrap(),
            "<ResponseX/><Response><P/>"
        );
        assert_eq!(prepend("<Connect/>", "<P/>"), None);
        assert_eq!(prepend("", "<P/>"), None);
    }
}
