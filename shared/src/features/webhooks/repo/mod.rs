//! Every query and write of the webhooks, one file per concern; the
//! services hand over typed values and only these files spell the stored
//! fields a filter or update names:
//!
//! - `status.rs`: a call's progress (sid, `answeredBy`, status and end);
//! - `scheduled_end.rs`: the scheduled call ended with its call's outcome;
//! - `post_call.rs`: ElevenLabs' transcript and analysis, a failed start,
//!   the contact's opt-out;
//! - `missed_reports.rs`: completed calls whose report never came, and
//!   the fetches tried for them;
//! - `inbound.rs`: the business called, the caller, the inbound call.

mod inbound;
mod missed_reports;
mod post_call;
mod scheduled_end;
mod status;

pub use inbound::{
    contact_by_number, find_inbound_call, inbound_call_by_sid, insert_inbound_call,
    last_outbound_call, record_forward, user_by_twilio_number, user_by_verified_caller_id,
    verified_number_owner,
};
pub use missed_reports::{
    awaited_reports, claim_attempt, conversations_taken, give_up, note_attempt, record_agent,
    record_conversation_id, AwaitedReport, AwaitedWindow, ConversationLookup,
};
pub use post_call::{
    conversation_calls, opt_out_contact, opt_out_recorded, record_failure_reason, store_post_call,
    ConversationRef, PostCallRecord,
};
pub use scheduled_end::{correct_answered_end, end_processing};
pub use status::{
    advance_status, find_call, inbound_call_id_by_sid, record_answered_by, record_sid,
    record_voicemail_left, Ending,
};
