//! Just enough TwiML for the sandbox: the `<Connect><Stream>` document
//! `register-call` answers, and reading back what a TwiML document asks
//! the call to do.

use serde_json::Value;

/// Where the sandbox "agent" streams from; never dialled.
pub const STREAM_URL: &str = "wss://sandbox.heyway.invalid/v1/convai/conversation/twilio";

/// Escapes text for an XML attribute or element, as our own TwiML does.
pub use heyway::integrations::twilio::twiml::escape;

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The TwiML that connects a call to the agent for `conversation_id`,
/// with the dynamic variables as stream `<Parameter>`s.
pub fn connect_to_agent(conversation_id: &str, dynamic_variables: &Value) -> String {
    let id = escape(conversation_id);
    let parameters = format!(
        "<Parameter name=\"conversation_id\" value=\"{id}\"/>{}",
        variable_parameters(dynamic_variables)
    );
    stream(&format!("conversation_id={id}"), &parameters)
}

/// The TwiML that connects a call to the agent without naming the
/// conversation, as ElevenLabs' own most likely does: the stream's URL
/// carries an opaque `session` only the sandbox can resolve.
pub fn connect_to_agent_unnamed(session: &str, dynamic_variables: &Value) -> String {
    stream(
        &format!("session={}", escape(session)),
        &variable_parameters(dynamic_variables),
    )
}

/// `<Connect><Stream>` to the agent's stream URL with `query` (escaped)
/// and the `<Parameter>`s given.
fn stream(query: &str, parameters: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Connect><Stream url=\"{STREAM_URL}?{query}\">{parameters}</Stream></Connect></Response>"
    )
}

/// The dynamic variables as stream `<Parameter>`s (strings as they are,
/// other values as JSON).
fn variable_parameters(dynamic_variables: &Value) -> String {
    let Some(variables) = dynamic_variables.as_object() else {
        return String::new();
    };
    variables
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!(
                "<Parameter name=\"{}\" value=\"{}\"/>",
                escape(name),
                escape(&value)
            )
        })
        .collect()
}

/// The `session` of a stream URL written by [`connect_to_agent_unnamed`].
pub fn session_of(url: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "session")
        .map(|(_, v)| v.into_owned())
}

/// What a TwiML document makes the call do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verb {
    Say(String),
    Play(String),
    /// `<Connect><Stream>`: to the sandbox agent when `conversation_id`
    /// names a conversation it knows.
    Stream {
        url: String,
        conversation_id: Option<String>,
    },
    Hangup,
    /// Anything else (`<Pause>`, `<Gather>`, …), by name.
    Other(String),
}

/// The value of `name="…"` in a tag's attributes.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=");
    let mut rest = tag;
    while let Some(at) = rest.find(&needle) {
        let preceded_by_space = at == 0
            || rest[..at]
                .chars()
                .next_back()
                .is_some_and(char::is_whitespace);
        let after = &rest[at + needle.len()..];
        let quote = after.chars().next()?;
        if preceded_by_space && (quote == '"' || quote == '\'') {
            let value = &after[1..];
            let end = value.find(quote)?;
            return Some(unescape(&value[..end]));
        }
        rest = after;
    }
    None
}

/// The verbs of `twiml`, top level and inside `<Connect>`. A tolerant
/// reader, not a validating parser: malformed input gives fewer verbs.
pub fn verbs(twiml: &str) -> Vec<Verb> {
    let mut verbs = Vec::new();
    let mut rest = twiml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        let after_tag = &rest[close + 1..];
        rest = after_tag;
        if tag.starts_with(['?', '!', '/']) {
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let text = || -> String {
            if self_closing {
                return String::new();
            }
            let end = after_tag.find("</").unwrap_or(after_tag.len());
            unescape(after_tag[..end].trim())
        };
        match name.as_str() {
            "Response" | "Connect" | "Parameter" => {}
            "Say" => verbs.push(Verb::Say(text())),
            "Play" => verbs.push(Verb::Play(text())),
            "Hangup" => verbs.push(Verb::Hangup),
            "Stream" => {
                let url = attribute(tag, "url").unwrap_or_default();
                let body_end = if self_closing {
                    0
                } else {
                    after_tag.find("</Stream").unwrap_or(after_tag.len())
                };
                let from_parameter = after_tag[..body_end]
                    .split("<Parameter")
                    .skip(1)
                    .find(|p| attribute(p, "name").as_deref() == Some("conversation_id"))
                    .and_then(|p| attribute(p, "value"));
                let conversation_id = from_parameter.or_else(|| {
                    let (_, query) = url.split_once('?')?;
                    form_urlencoded::parse(query.as_bytes())
                        .find(|(k, _)| k == "conversation_id")
                        .map(|(_, v)| v.into_owned())
                });
                verbs.push(Verb::Stream {
                    url,
                    conversation_id,
                });
            }
            "" => {}
            other => verbs.push(Verb::Other(other.to_string())),
        }
    }
    verbs
}

/// What the callee hears of `verbs` before a `<Hangup/>`: `<Say>` text
/// and `<Play>` URLs, in order (a `<Play>` once, as without `loop`).
pub fn heard(verbs: &[Verb]) -> Vec<String> {
    verbs
        .iter()
        .take_while(|verb| **verb != Verb::Hangup)
        .filter_map(|verb| match verb {
            Verb::Say(text) | Verb::Play(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// Seconds the non-conversation verbs take: speech at about 2.5 words a
/// second, 15 s per recording played.
pub fn spoken_secs(verbs: &[Verb]) -> u64 {
    verbs
        .iter()
        .map(|verb| match verb {
            Verb::Say(text) => (text.split_whitespace().count() as u64 * 2).div_ceil(5),
            Verb::Play(_) => 15,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connect_twiml_round_trips_the_conversation() {
        let twiml = connect_to_agent("conv_1", &json!({"customer_name": "Ann & \"Bo\"", "n": 3}));
        assert!(twiml
            .contains("<Parameter name=\"customer_name\" value=\"Ann &amp; &quot;Bo&quot;\"/>"));
        assert_eq!(
            verbs(&twiml),
            [Verb::Stream {
                url: format!("{STREAM_URL}?conversation_id=conv_1"),
                conversation_id: Some("conv_1".into())
            }]
        );
    }

    #[test]
    fn reads_say_play_and_hangup() {
        let twiml = "<?xml version=\"1.0\"?><Response><Play>https://x.test/a.mp3</Play><Say voice=\"alice\">Hello &amp; bye</Say><Pause length=\"1\"/><Hangup/></Response>";
        assert_eq!(
            verbs(twiml),
            [
                Verb::Play("https://x.test/a.mp3".into()),
                Verb::Say("Hello & bye".into()),
                Verb::Other("Pause".into()),
                Verb::Hangup
            ]
        );
        assert_eq!(spoken_secs(&verbs(twiml)), 17);
        assert_eq!(
            heard(&verbs(twiml)),
            [
                "https://x.test/a.mp3".to_string(),
                "Hello & bye".to_string()
            ]
        );
        assert!(heard(&verbs("<Response><Hangup/><Say>late</Say></Response>")).is_empty());
    }

    #[test]
    fn foreign_streams_have_no_conversation() {
        let twiml =
            "<Response><Connect><Stream url='wss://elsewhere.test/s'/></Connect></Response>";
        assert_eq!(
            verbs(twiml),
            [Verb::Stream {
                url: "wss://elsewhere.test/s".into(),
                conversation_id: None
            }]
        );
        assert!(verbs("not xml at all").is_empty());
        // Multi-byte text and odd attributes never split a character.
        let odd = "<Say>日本語 😀 é</Say><Stream url=\"wss://é.test/😀?conversation_id=c_é\"><Parameter name=é value=\"x\"/></Stream><Stream url=>";
        assert_eq!(verbs(odd)[0], Verb::Say("日本語 😀 é".into()));
        assert_eq!(
            verbs(odd)[1],
            Verb::Stream {
                url: "wss://é.test/😀?conversation_id=c_é".into(),
                conversation_id: Some("c_é".into())
            }
        );
        for cut in 0..odd.len() {
            if odd.is_char_boundary(cut) {
                let _ = verbs(&odd[..cut]);
            }
        }
        assert!(verbs("<Response><Say").is_empty());
    }
}
