//! The SMS gateway contract against the test kit's own `RecordingSms`: the twin the worker's
//! tests send through keeps the rules a real gateway must.

use async_trait::async_trait;
use cube_domain::ports::{SmsGateway, SmsMessage};
use cube_testkit::RecordingSms;
use cube_testkit::contract::sms::{SmsHarness, SmsUnderTest};
use std::sync::Arc;

#[derive(Debug)]
struct Recording(RecordingSms);

#[async_trait]
impl SmsUnderTest for Recording {
    fn gateway(&self) -> &dyn SmsGateway {
        &self.0
    }

    async fn received(&self) -> Vec<(String, SmsMessage)> {
        self.0.sent_with_keys()
    }
}

cube_testkit::sms_gateway_contract_tests!(|| async {
    Arc::new(Recording(RecordingSms::new())) as SmsHarness
});
