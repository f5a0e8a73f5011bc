//! Documents shaped like production's (`docs/data-model.md`), with made-up
//! people and 555 numbers. Each collection has variants covering the
//! quirks the old app left: absent / `null` / `""` fields, int32 / int64 /
//! double numbers, dates as text, ids as text, numbers without `+1`, and
//! both generations of automations.

use mongodb::bson::{doc, oid::ObjectId, Bson, DateTime, Document};

/// A fixed instant, so fixtures do not depend on the clock.
pub fn at(rfc3339: &str) -> DateTime {
    DateTime::parse_rfc3339_str(rfc3339).expect("fixture date")
}

pub fn users(user_id: ObjectId) -> Vec<Document> {
    vec![
        // Email sign-up, Stripe customer, caller ID picked.
        doc! {
            "_id": user_id,
            "freeMinutes": 238,
            "name": "Dana Testwell",
            "email": "DANA@EXAMPLE-MOTORS.TEST",
            "password": "$2b$10$abcdefghijklmnopqrstuuN0tARealHashJustTheShape1234567",
            "timezone": "America/New_York",
            "hasActiveSubscription": true,
            "preferredCallerID": "+12155550101",
            "stripeCustomerId": "cus_TestCustomer01",
            "subscriptionStatus": "active",
            "stripePriceId": "price_TestPrice01",
            "stripeSubscriptionId": "sub_TestSub01",
            "stripeSubscriptionItemId": "si_TestItem01",
            "createdAt": at("2025-09-01T12:00:00Z"),
            "updatedAt": at("2025-09-02T12:00:00Z"),
            "legacyOnlyField": { "kept": true },
        },
        // Email sign-up without a caller ID yet, customer id null, no __v.
        doc! {
            "_id": ObjectId::new(),
            "freeMinutes": 0_i64,
            "name": "Sam Placeholder",
            "email": "sam@example.test",
            "password": "$2b$10$zyxwvutsrqponmlkjihgfeN0tARealHashJustTheShape7654321",
            "timezone": "America/Chicago",
            "hasActiveSubscription": false,
            "preferredCallerID": "",
            "stripeCustomerId": Bson::Null,
            "createdAt": at("2025-09-03T12:00:00Z"),
        },
        // Phone sign-up: the nested objects of the older mobile app.
        doc! {
            "_id": ObjectId::new(),
            "phoneNumber": "+12155550102",
            "isPhoneVerified": true,
            "profile": { "firstName": "Lee", "lastName": "Example", "avatar": Bson::Null },
            "preferences": { "notifications": { "email": true, "sms": false }, "language": "en" },
            "aiConfig": { "voice": "alloy", "temperature": 0.7, "maxTokens": 150 },
            "twilioConfig": { "verifiedCallerIds": [ { "phoneNumber": "+12155550102", "verified": true } ] },
            "subscription": { "plan": "free", "status": "active" },
            "usage": { "callsThisMonth": 3, "minutesThisMonth": 4.5 },
            "settings": { "recordCalls": false },
            "smsVerification": { "code": Bson::Null, "expiresAt": Bson::Null, "attempts": 0 },
            "freeMinutes": 1.5,
            "freeCalls": 3,
            "createdAt": at("2025-08-20T12:00:00Z"),
            "updatedAt": at("2025-08-21T12:00:00Z"),
            "__v": 1,
        },
    ]
}

pub fn verified_numbers(user_id: ObjectId) -> Vec<Document> {
    vec![doc! {
        "_id": ObjectId::new(),
        "userId": user_id,
        "phoneNumber": "+12155550101",
        "verified": true,
        "createdAt": at("2025-09-01T12:05:00Z"),
        "updatedAt": at("2025-09-01T12:05:00Z"),
    }]
}

pub fn contacts(user_id: ObjectId) -> Vec<Document> {
    vec![
        // Old app: no country code, empty email.
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "name": "Pat Sample",
            "phoneNumber": "2155550123",
            "email": "",
            "groups": [],
            "tags": [],
            "metadata": {},
            "isActive": true,
            "createdAt": at("2025-09-05T12:00:00Z"),
            "updatedAt": at("2025-09-05T12:00:00Z"),
            "__v": 0,
        },
        // E.164, an email, import columns in metadata, a group id.
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "name": "Robin Fixture",
            "phoneNumber": "+12155550124",
            "email": "robin@example.test",
            "groups": [ObjectId::new()],
            "tags": ["vip", "sedan"],
            "metadata": { "purchaseDate": "09/10/2025", "vin": "TESTVIN0000000001", "visits": 2 },
            "isActive": true,
            "createdAt": at("2025-09-06T12:00:00Z"),
            "updatedAt": at("2025-09-06T12:00:00Z"),
            "__v": 0,
        },
    ]
}

pub fn contact_lists(user_id: ObjectId, contact_id: ObjectId) -> Vec<Document> {
    vec![
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "name": "new list",
            "description": "",
            "color": "blue",
            "contacts": [ { "contactId": contact_id, "addedAt": at("2025-09-07T12:00:00Z") } ],
            "contactsCount": 1,
            "isSystem": false,
            "settings": { "allowDuplicates": false },
            "metadata": { "lastUsed": at("2025-09-08T12:00:00Z"), "totalCalls": 0 },
            "createdAt": at("2025-09-07T12:00:00Z"),
            "updatedAt": at("2025-09-08T12:00:00Z"),
            "__v": 1,
        },
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "name": "Automation: follow up",
            "description": "Contact list for automation: follow up",
            "color": "purple",
            "contacts": [],
            "contactsCount": 0,
            "isSystem": true,
            "settings": {},
            "metadata": { "lastUsed": Bson::Null },
            "createdAt": at("2025-09-07T12:00:00Z"),
            "updatedAt": at("2025-09-07T12:00:00Z"),
            "__v": 0,
        },
    ]
}

pub fn groups(user_id: ObjectId, call_id: ObjectId) -> Vec<Document> {
    vec![doc! {
        "_id": ObjectId::new(),
        "userId": user_id,
        "name": "test",
        "description": "",
        "calls": [call_id],
        "color": "#3b82f6",
        "isActive": true,
        "metadata": { "totalCalls": 1 },
        "createdAt": at("2025-09-09T12:00:00Z"),
        "updatedAt": at("2025-09-09T12:00:00Z"),
        "__v": 1,
    }]
}

pub fn recordings(user_id: ObjectId) -> Vec<Document> {
    vec![
        // Recorded: whole seconds, signedUrl null, no AI fields.
        doc! {
            "_id": ObjectId::new(),
            "name": "test 1",
            "filePath": "gs://example-bucket/recording-1000000000001.mp3",
            "duration": 6,
            "userId": user_id,
            "signedUrl": Bson::Null,
            "createdAt": at("2025-09-10T12:00:00Z"),
        },
        // AI voice: fractional seconds, voice settings, a prompt.
        doc! {
            "_id": ObjectId::new(),
            "name": "recording 9_17_2025_ 5_45_10 pm",
            "filePath": "gs://example-bucket/recording-1000000000002.mp3",
            "duration": 6.5,
            "userId": user_id,
            "createdAt": at("2025-09-10T13:00:00Z"),
            "isAIVoice": true,
            "originalText": "hi, this is the test shop",
            "professionalPrompt": "You are a professional AI assistant for a business calling system.",
            "voiceSettings": { "voiceId": "voice_test", "stability": 0.5, "similarityBoost": 0.75 },
        },
        // AI voice with voiceSettings null.
        doc! {
            "_id": ObjectId::new(),
            "name": "typed message",
            "filePath": "gs://example-bucket/recording-1000000000003.mp3",
            "duration": 17_i64,
            "userId": user_id,
            "createdAt": at("2025-09-10T14:00:00Z"),
            "isAIVoice": true,
            "originalText": "see you soon",
            "voiceSettings": Bson::Null,
        },
    ]
}

/// First generation: `triggerType`, `onDate`/`onTime`, `callbackDelay`,
/// re-saved by the newer app so it also has that app's defaults.
pub fn automation_first_generation(
    user_id: ObjectId,
    contact_id: ObjectId,
    recording_id: ObjectId,
) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "userId": user_id,
        "name": "Test audio",
        "description": "",
        "triggerType": "on_date",
        "offsetDays": 0,
        "offsetDirection": "after",
        "onDate": "2025-09-15",
        "onTime": "18:00",
        "aiInstructions": "ask how the loaner car is going",
        "callbackEnabled": true,
        "callbackDelay": "15min",
        "callbackCustomDay": "today",
        "isActive": true,
        "contactsCount": 1,
        "completedCount": 0,
        "pendingCount": 1,
        "executionHistory": [ { "executedAt": at("2025-09-15T22:00:00Z"), "contactsProcessed": 1, "status": "success" } ],
        "createdAt": at("2025-09-14T12:00:00Z"),
        "updatedAt": at("2025-09-15T22:00:00Z"),
        "nextRun": at("2025-09-15T22:00:00Z"),
        "__v": 2,
        "lastRun": at("2025-09-15T22:00:00Z"),
        "daysOffset": 7,
        "fixedDate": Bson::Null,
        "timeOfDay": "09:00",
        "timezone": "America/New_York",
        "timingMode": "after",
        "audioMessage": recording_id.to_hex(),
        "scheduledFor": Bson::Null,
        "useAIVoice": false,
        "aiVoiceText": Bson::Null,
        "aiVoiceSettings": Bson::Null,
        "useAIResponse": true,
        "contacts": [contact_id],
    }
}

/// Second generation: `timingMode`/`fixedDate` text/`timeOfDay`,
/// `enableCallback`/`callbackDelayMinutes`. Means the same as the first
/// generation fixture, except for the callback delay.
pub fn automation_second_generation(user_id: ObjectId) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "userId": user_id,
        "name": "test with voice",
        "description": "8pm monday",
        "isActive": false,
        "createdAt": at("2025-09-14T12:00:00Z"),
        "updatedAt": at("2025-09-14T12:00:00Z"),
        "daysOffset": 7,
        "fixedDate": "2025-09-15T00:00:00.000-04:00",
        "timeOfDay": "18:00",
        "timezone": "America/New_York",
        "timingMode": "on_date",
        "voiceAudioUrl": "https://storage.example.test/recordings/abc/voice-1.webm",
        "enableCallback": true,
        "callbackDelayMinutes": 30,
        "callbackMaxDelayDays": 7,
        "callbackTimeOfDay": "09:00",
    }
}

/// Second generation, relative: 7 days after each contact's date.
pub fn automation_relative(user_id: ObjectId) -> Document {
    doc! {
        "_id": ObjectId::new(),
        "userId": user_id,
        "name": "New car check-in",
        "description": "",
        "isActive": true,
        "createdAt": at("2025-09-14T12:00:00Z"),
        "updatedAt": at("2025-09-14T12:00:00Z"),
        "daysOffset": 7.0,
        "fixedDate": Bson::Null,
        "timeOfDay": "18:12",
        "timezone": "America/Los_Angeles",
        "timingMode": "after",
        "enableCallback": false,
        "callbackDelayMinutes": 15,
    }
}

pub fn scheduled_calls(
    user_id: ObjectId,
    automation_id: ObjectId,
    contact_id: ObjectId,
    call_id: ObjectId,
) -> Vec<Document> {
    vec![
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "recipients": [ { "phoneNumber": "2155550123", "name": "Pat Sample", "contactId": contact_id } ],
            "notes": "say hi",
            "scheduledTime": at("2025-09-15T22:00:00Z"),
            "status": "processing",
            "retryCount": 1,
            "callMode": "ai-only",
            "automationId": automation_id,
            "referenceDate": Bson::Null,
            "contactData": { "name": "Pat Sample", "phoneNumber": "2155550123", "email": "" },
            "createdAt": at("2025-09-15T21:59:00Z"),
            "updatedAt": at("2025-09-15T22:00:00Z"),
            "__v": 0,
            "errorMessage": "Caller ID is required. Please add and verify a caller ID before making calls.",
        },
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "recipients": [ { "phoneNumber": "+12155550124", "name": "Robin Fixture" } ],
            "notes": "",
            "scheduledTime": at("2025-09-16T22:00:00Z"),
            "status": "completed",
            "retryCount": 0,
            "callMode": "ai-only",
            "automationId": automation_id,
            "referenceDate": at("2025-09-09T04:00:00Z"),
            "contactData": { "name": "Robin Fixture", "phoneNumber": "+12155550124" },
            "createdAt": at("2025-09-16T21:59:00Z"),
            "updatedAt": at("2025-09-16T22:01:00Z"),
            "__v": 0,
            "errorMessage": "",
            "callId": call_id,
            "sessionId": "00000000-0000-4000-8000-000000000001",
            "twilioCallSid": "CA00000000000000000000000000000001",
        },
    ]
}

pub fn calls(user_id: ObjectId, call_id: ObjectId, automation_id: ObjectId) -> Vec<Document> {
    vec![
        // Placed and analysed.
        doc! {
            "_id": call_id,
            "userId": user_id,
            "sessionId": "00000000-0000-4000-8000-000000000001",
            "status": "completed",
            "callMode": "ai-only",
            "automationId": automation_id,
            "participants": [ { "phoneNumber": "+12155550124", "name": "Robin Fixture", "role": "callee" } ],
            "transcription": [
                { "speaker": "agent", "text": "Hi Robin, how is the new car?", "timestamp": at("2025-09-16T22:00:05Z") },
                { "speaker": "user", "text": "Great, thanks.", "timestamp": at("2025-09-16T22:00:09Z") },
                { "speaker": "agent", "text": "Glad to hear it.", "timestamp": at("2025-09-16T22:00:12Z") },
            ],
            "aiConfig": { "instructions": "hows the new car", "voice": "default" },
            "startedAt": at("2025-09-16T22:00:00Z"),
            "isInbound": false,
            "inboundData": {},
            "createdAt": at("2025-09-16T22:00:00Z"),
            "updatedAt": at("2025-09-16T22:01:00Z"),
            "__v": 0,
            "twilioCallSid": "CA00000000000000000000000000000001",
            "endedAt": at("2025-09-16T22:00:42Z"),
            "metrics": { "duration": 42, "cost": 0.0133 },
            "analysis": { "category": "positive", "followUpNeeded": false, "summary": "Happy with the car.", "sentiment": 0.9 },
            "elevenLabsData": { "conversation_id": "conv_test_0001" },
        },
        // Initiated only: no sid, no end, no analysis.
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "sessionId": "00000000-0000-4000-8000-000000000002",
            "status": "initiated",
            "callMode": "ai-only",
            "participants": [ { "phoneNumber": "2155550123" } ],
            "transcription": [],
            "aiConfig": {},
            "startedAt": at("2025-09-17T22:00:00Z"),
            "isInbound": false,
            "inboundData": { "callerNumber": Bson::Null },
            "createdAt": at("2025-09-17T22:00:00Z"),
            "updatedAt": at("2025-09-17T22:00:00Z"),
            "__v": 0,
        },
    ]
}

pub fn feedback(user_id: ObjectId) -> Vec<Document> {
    vec![doc! {
        "_id": ObjectId::new(),
        "category": "bug",
        "feedback": "test ",
        "timestamp": at("2025-09-18T12:00:00Z"),
        "user": user_id,
    }]
}

pub fn subscriptions(user_id: ObjectId) -> Vec<Document> {
    vec![
        // App-store era: nulls everywhere.
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "plan": "free",
            "status": "active",
            "productId": Bson::Null,
            "transactionId": Bson::Null,
            "originalTransactionId": Bson::Null,
            "receiptData": Bson::Null,
            "endDate": Bson::Null,
            "renewalDate": Bson::Null,
            "callsUsedThisPeriod": 0,
            "callLimit": 5,
            "lastReceiptValidation": Bson::Null,
            "validationStatus": "pending",
            "startDate": at("2025-08-20T12:00:00Z"),
            "currentPeriodStart": at("2025-08-20T12:00:00Z"),
            "currentPeriodEnd": at("2025-09-20T12:00:00Z"),
            "createdAt": at("2025-08-20T12:00:00Z"),
            "updatedAt": at("2025-08-20T12:00:00Z"),
            "__v": 0,
        },
        // Stripe era.
        doc! {
            "_id": ObjectId::new(),
            "userId": user_id,
            "status": "active",
            "createdAt": at("2025-09-01T12:00:00Z"),
            "updatedAt": at("2025-09-01T12:00:00Z"),
            "stripeCustomerId": "cus_TestCustomer01",
            "stripePriceId": "price_TestPrice01",
            "stripeSubscriptionId": "sub_TestSub01",
            "stripeSubscriptionItemId": "si_TestItem01",
        },
    ]
}

pub fn usage() -> Vec<Document> {
    vec![
        doc! {
            "_id": ObjectId::new(),
            "customerId": "cus_TestCustomer01",
            "minutesUsed": 1.1099999999999999,
            "resetDate": at("2025-10-01T00:00:00Z"),
            "createdAt": at("2025-09-01T12:00:00Z"),
            "updatedAt": at("2025-09-16T22:01:00Z"),
        },
        doc! {
            "_id": ObjectId::new(),
            "customerId": Bson::Null,
            "minutesUsed": 0,
            "resetDate": at("2025-10-01T00:00:00Z"),
            "createdAt": at("2025-09-01T12:00:00Z"),
            "updatedAt": at("2025-09-01T12:00:00Z"),
        },
    ]
}
