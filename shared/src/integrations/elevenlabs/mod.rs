//! ElevenLabs Conversational AI: the agent that holds AI phone
//! conversations, reached over its HTTP API (base URL from configuration
//! so tests point it at a local server), and the signature on its
//! post-call webhooks.

pub mod client;
pub mod signature;

pub use client::{
    AgentOverride, CallDirection, ClientData, ConfigOverride, ConversationSummary,
    ConversationsPage, ConversationsQuery, ElevenLabsClient, ElevenLabsError, OutboundCall,
    OutboundCallPlaced, PromptOverride, RegisterCall, TtsOverride,
};
pub use signature::SignatureError;
