//! Our `analysis` of a call from the agent's own (ElevenLabs'
//! `data.analysis`): what the owner's dashboard filters on.
//!
//! The agent's data-collection results come first (ids `category`,
//! `follow_up_needed`, `sentiment`, `opt_out`, configured on the agent),
//! then its evaluation criteria with the same ids, then `call_successful`
//! and plain keywords in what the person said.

use mongodb::bson::{doc, Document};
use serde_json::Value;

/// One turn of the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    /// `user` or `agent`.
    pub role: String,
    pub message: String,
}

/// What we store in `analysis`.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub category: String,
    pub follow_up_needed: bool,
    pub summary: Option<String>,
    /// `positive`, `neutral` or `negative`.
    pub sentiment: String,
    /// ElevenLabs' `call_successful`: `success`, `failure`, `unknown`.
    pub call_successful: Option<String>,
    /// The person asked not to be called again.
    pub opt_out: bool,
    pub evaluation_criteria_results: Option<Value>,
    pub data_collection_results: Option<Value>,
}

/// Things people say when they want no more calls.
const OPT_OUT_PHRASES: [&str; 12] = [
    "don't call me again",
    "do not call me again",
    "don't call me anymore",
    "do not call me anymore",
    "don't call again",
    "do not call again",
    "stop calling",
    "remove me from your list",
    "take me off your list",
    "remove my number",
    "do not call list",
    "unsubscribe",
];

/// Things people say when someone should get back to them.
const FOLLOW_UP_PHRASES: [&str; 10] = [
    "call me back",
    "call back later",
    "have someone call",
    "speak to someone",
    "talk to someone",
    "speak to a person",
    "question about",
    "a problem with",
    "not working",
    "follow up",
];

const POSITIVE: [&str; 10] = [
    "great",
    "good",
    "thanks",
    "thank",
    "love",
    "happy",
    "excellent",
    "perfect",
    "wonderful",
    "awesome",
];
const NEGATIVE: [&str; 10] = [
    "bad",
    "terrible",
    "awful",
    "unhappy",
    "angry",
    "problem",
    "disappointed",
    "hate",
    "worst",
    "broken",
];

/// The analysis of a conversation from ElevenLabs' `analysis` object
/// (`Null` when absent) and its transcript.
pub fn derive(analysis: &Value, transcript: &[Turn]) -> Analysis {
    let collected = &analysis["data_collection_results"];
    let evaluated = &analysis["evaluation_criteria_results"];
    let value = |ids: &[&str]| {
        ids.iter()
            .map(|id| &collected[*id]["value"])
            .find(|v| !v.is_null())
    };
    let criterion = |ids: &[&str]| {
        ids.iter()
            .filter_map(|id| evaluated[*id]["result"].as_str())
            .find_map(|result| match result {
                "success" => Some(true),
                "failure" => Some(false),
                _ => None,
            })
    };
    let said = user_text(transcript);
    let call_successful = analysis["call_successful"].as_str().map(str::to_string);

    let opt_out = value(&["opt_out", "do_not_call"])
        .and_then(truthy)
        .or_else(|| criterion(&["opt_out"]))
        .unwrap_or(false)
        || OPT_OUT_PHRASES.iter().any(|p| said.contains(p));
    let follow_up_needed = value(&["follow_up_needed", "follow_up", "needs_follow_up"])
        .and_then(truthy)
        .or_else(|| criterion(&["follow_up_needed"]))
        .unwrap_or_else(|| {
            call_successful.as_deref() == Some("failure")
                || FOLLOW_UP_PHRASES.iter().any(|p| said.contains(p))
        });
    let sentiment = value(&["sentiment"])
        .and_then(Value::as_str)
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| keyword_sentiment(&said).to_string());
    let category = value(&["category", "call_category"])
        .and_then(Value::as_str)
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            if opt_out {
                "opt_out"
            } else if follow_up_needed {
                "follow_up"
            } else {
                match sentiment.as_str() {
                    "positive" => "positive_feedback",
                    "negative" => "negative_feedback",
                    _ => "general",
                }
            }
            .to_string()
        });
    let present = |v: &Value| (!v.is_null()).then(|| v.clone());
    Analysis {
        category,
        follow_up_needed,
        summary: analysis["transcript_summary"]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        sentiment,
        call_successful,
        opt_out,
        evaluation_criteria_results: present(evaluated),
        data_collection_results: present(collected),
    }
}

impl Analysis {
    /// The `analysis` document (camelCase; the raw results as ElevenLabs
    /// sent them).
    pub fn to_document(&self) -> Document {
        let mut document = doc! {
            "category": &self.category,
            "followUpNeeded": self.follow_up_needed,
            "sentiment": &self.sentiment,
            "optOut": self.opt_out,
            "source": "elevenlabs",
        };
        if let Some(summary) = &self.summary {
            document.insert("summary", summary);
        }
        if let Some(successful) = &self.call_successful {
            document.insert("callSuccessful", successful);
        }
        for (key, raw) in [
            (
                "evaluationCriteriaResults",
                &self.evaluation_criteria_results,
            ),
            ("dataCollectionResults", &self.data_collection_results),
        ] {
            if let Some(raw) = raw {
                document.insert(key, crate::model::node_json::to_bson(raw));
            }
        }
        document
    }
}

/// A data-collection value read as yes/no.
fn truthy(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What the person (not the agent) said, lowercased, curly apostrophes
/// straightened, spaces collapsed.
fn user_text(transcript: &[Turn]) -> String {
    let joined = transcript
        .iter()
        .filter(|t| t.role == "user")
        .map(|t| {
            t.message
                .to_lowercase()
                .replace(['\u{2019}', '\u{2018}'], "'")
        })
        .collect::<Vec<_>>()
        .join(" ");
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn keyword_sentiment(said: &str) -> &'static str {
    let words: Vec<&str> = said
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let count = |list: &[&str]| words.iter().filter(|w| list.contains(w)).count();
    let (positive, negative) = (count(&POSITIVE), count(&NEGATIVE));
    match positive.cmp(&negative) {
        std::cmp::Ordering::Greater => "positive",
        std::cmp::Ordering::Less => "negative",
        std::cmp::Ordering::Equal => "neutral",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn turns(user: &[&str]) -> Vec<Turn> {
        user.iter()
            .flat_map(|m| {
                [
                    Turn {
                        role: "agent".into(),
                        message: "Stop calling is what I would never say.".into(),
                    },
                    Turn {
                        role: "user".into(),
                        message: m.to_string(),
                    },
                ]
            })
            .collect()
    }

    #[test]
    fn the_agents_data_collection_wins() {
        let analysis = json!({
            "call_successful": "success",
            "transcript_summary": "Pat is happy with the car.",
            "data_collection_results": {
                "category": { "data_collection_id": "category", "value": "Satisfied", "rationale": "" },
                "follow_up_needed": { "data_collection_id": "follow_up_needed", "value": "yes" },
                "sentiment": { "value": "Positive" },
                "opt_out": { "value": false },
            },
            "evaluation_criteria_results": {
                "follow_up_needed": { "criteria_id": "follow_up_needed", "result": "failure", "rationale": "" }
            },
        });
        let a = derive(&analysis, &turns(&["Stop calling me"]));
        assert_eq!(a.category, "satisfied");
        assert!(a.follow_up_needed);
        assert_eq!(a.sentiment, "positive");
        // Data collection said no; the transcript's words still count.
        assert!(a.opt_out);
        assert_eq!(a.summary.as_deref(), Some("Pat is happy with the car."));
        let document = a.to_document();
        assert_eq!(document.get_str("callSuccessful").unwrap(), "success");
        assert_eq!(
            document
                .get_document("dataCollectionResults")
                .unwrap()
                .get_document("category")
                .unwrap()
                .get_str("value")
                .unwrap(),
            "Satisfied"
        );
    }

    #[test]
    fn criteria_then_keywords() {
        let analysis = json!({
            "call_successful": "success",
            "evaluation_criteria_results": {
                "follow_up_needed": { "result": "success" },
                "opt_out": { "result": "unknown" },
            },
        });
        let a = derive(&analysis, &turns(&["Thanks, all good"]));
        assert!(a.follow_up_needed);
        assert!(!a.opt_out);
        assert_eq!(a.sentiment, "positive");
        assert_eq!(a.category, "follow_up");
    }

    #[test]
    fn fallbacks_from_the_transcript() {
        let a = derive(&Value::Null, &turns(&["It was great, thank you!"]));
        assert_eq!(
            (
                a.category.as_str(),
                a.follow_up_needed,
                a.sentiment.as_str(),
                a.opt_out
            ),
            ("positive_feedback", false, "positive", false)
        );
        let a = derive(&json!({"call_successful": "failure"}), &turns(&["Hmm."]));
        assert!(a.follow_up_needed);
        let a = derive(
            &Value::Null,
            &turns(&["Please don\u{2019}t call me again."]),
        );
        assert!(a.opt_out);
        assert_eq!(a.category, "opt_out");
        let a = derive(
            &Value::Null,
            &turns(&["The radio is broken", "Can you call me back?"]),
        );
        assert!(a.follow_up_needed);
        assert_eq!(a.sentiment, "negative");
        // The agent's words are not the person's.
        let a = derive(&Value::Null, &turns(&["Goodbye."]));
        assert!(!a.opt_out);
        assert_eq!(a.category, "general");
    }
}
