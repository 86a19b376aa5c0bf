package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code definite: true} only where the OPERATION, not just this attempt, certainly did not happen. */
class ErrorCodeTest {

    @Test
    void sessionRefusalsAreIndefiniteBecauseAnEarlierCopyMayHaveExecuted_6_3() {
        assertThat(ErrorCode.STALE_SESSION.definite()).isFalse();
        assertThat(ErrorCode.SESSION_EXPIRED.definite()).isFalse();
        assertThat(ErrorCode.SESSION_EXPIRED.status()).isEqualTo(409);
        assertThat(ErrorCode.SESSION_EXPIRED.wireName()).isEqualTo("session_expired");
    }

    @Test
    void aRegistrationRefusedByAFullSessionTableIsDefinite429_6_3() {
        // The OpenSession entry committed and registered nothing: the registration certainly failed.
        assertThat(ErrorCode.TOO_MANY_SESSIONS.definite()).isTrue();
        assertThat(ErrorCode.TOO_MANY_SESSIONS.status()).isEqualTo(429);
        assertThat(ErrorCode.TOO_MANY_SESSIONS.wireName()).isEqualTo("too_many_sessions");
    }

    @Test
    void aWriteRefusedByTheStateQuotaIsADefinite507WithoutRetryAfter() {
        // The entry committed and the state machine changed nothing: certainly failed. Retrying soon
        // helps only after deletes, which a clock cannot predict (etcd's NOSPACE likewise).
        assertThat(ErrorCode.QUOTA_EXCEEDED.status()).isEqualTo(507);
        assertThat(ErrorCode.QUOTA_EXCEEDED.definite()).isTrue();
        assertThat(ErrorCode.QUOTA_EXCEEDED.wireName()).isEqualTo("quota_exceeded");
        assertThat(ErrorCode.QUOTA_EXCEEDED.retryAfterSeconds()).isEmpty();
    }

    @Test
    void aSupersededSessionWriteWithoutARecordedResultIsOutcomeUnknown() {
        assertThat(ErrorCode.OUTCOME_UNKNOWN.definite()).isFalse();
        assertThat(ErrorCode.OUTCOME_UNKNOWN.status()).isEqualTo(503);
        assertThat(ErrorCode.OUTCOME_UNKNOWN.wireName()).isEqualTo("outcome_unknown");
    }

    @Test
    void aSupersededWriteWithoutASessionIsItsOwnOperationAndDefinite() {
        assertThat(ErrorCode.SUPERSEDED.definite()).isTrue();
    }

    @Test
    void aFullNodeRefuses429DefinitelyAndSaysWhenToRetry() {
        assertThat(ErrorCode.OVERLOADED.status()).isEqualTo(429);
        assertThat(ErrorCode.OVERLOADED.definite()).as("nothing was proposed").isTrue();
        assertThat(ErrorCode.OVERLOADED.wireName()).isEqualTo("overloaded");
        assertThat(ErrorCode.OVERLOADED.retryAfterSeconds()).hasValue(1);
    }

    @Test
    void onlyNotNowAnswersCarryRetryAfter() {
        // Definite 503s: nothing happened, and it may well work in a moment.
        assertThat(ErrorCode.NO_LEADER.retryAfterSeconds()).hasValue(1);
        assertThat(ErrorCode.SUPERSEDED.retryAfterSeconds()).hasValue(1);
        assertThat(ErrorCode.READ_FAILED.retryAfterSeconds()).hasValue(1);
        // An unknown outcome is not an invitation to retry blindly, nor is a refusal that will not change.
        assertThat(ErrorCode.OUTCOME_UNKNOWN.retryAfterSeconds()).isEmpty();
        assertThat(ErrorCode.COMMIT_TIMEOUT.retryAfterSeconds()).isEmpty();
        assertThat(ErrorCode.INVALID_BODY.retryAfterSeconds()).isEmpty();
        assertThat(ErrorCode.CAS_MISMATCH.retryAfterSeconds()).isEmpty();
    }

    @Test
    void unknownOutcomesAreNeverDefinite() {
        for (ErrorCode code : new ErrorCode[] {ErrorCode.COMMIT_TIMEOUT, ErrorCode.FORWARD_FAILED,
                ErrorCode.FORWARD_TIMEOUT, ErrorCode.INTERNAL}) {
            assertThat(code.definite()).as(code.wireName()).isFalse();
        }
    }

    @Test
    void requestsRefusedBeforeRoutingAreDefiniteWithTheirHttpStatus() {
        assertThat(JsonErrorHandler.codeFor(400)).isEqualTo(ErrorCode.BAD_REQUEST);
        assertThat(JsonErrorHandler.codeFor(414)).isEqualTo(ErrorCode.URI_TOO_LONG);
        assertThat(JsonErrorHandler.codeFor(431)).isEqualTo(ErrorCode.HEADERS_TOO_LARGE);
        assertThat(JsonErrorHandler.codeFor(413)).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(JsonErrorHandler.codeFor(500)).isEqualTo(ErrorCode.INTERNAL);
        for (ErrorCode code : new ErrorCode[] {ErrorCode.BAD_REQUEST, ErrorCode.URI_TOO_LONG,
                ErrorCode.HEADERS_TOO_LARGE}) {
            assertThat(code.definite()).as(code.wireName()).isTrue();
            assertThat(code.status()).isBetween(400, 499);
        }
    }
}
