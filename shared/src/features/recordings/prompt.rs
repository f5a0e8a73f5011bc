//! The `professionalPrompt` a recording-then-AI call's agent answers with
//! after the message plays: the message and the business it is from.

use crate::model::User;

/// The business's name as the profile or the account gives it.
pub fn business_name(user: &User) -> Option<String> {
    user.profile
        .as_ref()
        .and_then(|p| {
            ["businessName", "company", "companyName"]
                .iter()
                .find_map(|key| p.get_str(key).ok())
        })
        .or(user.name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// The agent's instructions for a call that plays `message` first.
pub fn professional_prompt(message: &str, user: &User) -> String {
    let business = business_name(user);
    let who = business.unwrap_or_else(|| "a small business".to_string());
    let industry = user
        .profile
        .as_ref()
        .and_then(|p| p.get_str("industry").ok())
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|i| format!("\nINDUSTRY: {i}"))
        .unwrap_or_default();
    format!(
        "You are a professional AI assistant answering for {who}. The person you are talking to has just heard a recorded message from {who}, and you continue the call.\n\n\
CONTEXT: automated call{industry}\n\
BUSINESS: {who}\n\
ORIGINAL MESSAGE: \"{message}\"\n\n\
INSTRUCTIONS:\n\
- Respond professionally, warmly and concisely\n\
- Answer questions about the message above; do not invent prices, dates or commitments\n\
- If you do not know something, offer to have someone from {who} follow up\n\
- Respect a request not to be called again, and end the call politely\n\
- End with a clear next step",
        message = message.trim().replace('"', "'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, oid::ObjectId};

    #[test]
    fn names_the_business_and_quotes_the_message() {
        let user: User = crate::infra::store::decode(doc! {
            "_id": ObjectId::new(), "name": "Pat Madeup",
            "profile": { "businessName": "Madeup Motors", "industry": "auto repair" },
        })
        .unwrap();
        let prompt = professional_prompt("Your car is due for service.", &user);
        assert!(prompt.contains("Madeup Motors"), "{prompt}");
        assert!(prompt.contains("ORIGINAL MESSAGE: \"Your car is due for service.\""));
        assert!(prompt.contains("INDUSTRY: auto repair"));
    }
}
