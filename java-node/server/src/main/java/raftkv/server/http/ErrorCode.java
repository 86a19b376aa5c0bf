package raftkv.server.http;

import java.util.Locale;
import java.util.OptionalInt;

/**
 * Every error the API returns, with its HTTP status and whether it is definite.
 *
 * <p>{@code definite = true}: the operation certainly did not take effect and never will (a Jepsen
 * {@code :fail}); the client may retry freely. {@code definite = false}: it may have taken effect or
 * may still do so (a Jepsen {@code :info}); only a retry with the same session is safe. docs/api.md
 * has the same table for humans.
 */
public enum ErrorCode {
    // The request itself is wrong: nothing was attempted.
    BAD_REQUEST(400, true),
    INVALID_ID(400, true),
    INVALID_NAME(400, true),
    INVALID_BODY(400, true),
    INVALID_SESSION(400, true),
    INVALID_QUERY(400, true),
    UNAUTHORIZED(401, true),
    NO_ROUTE(404, true),
    METHOD_NOT_ALLOWED(405, true),
    PAYLOAD_TOO_LARGE(413, true),
    URI_TOO_LONG(414, true),
    HEADERS_TOO_LARGE(431, true),
    // The operation ran, at its place in the log, and had this definite outcome.
    NOT_FOUND(404, true),
    CAS_MISMATCH(409, true),
    // This copy was refused by the session table, but an earlier copy of the same operation (a retry
    // with the same session and sequence) may have executed (§6.3): not definite.
    STALE_SESSION(409, false),
    SESSION_EXPIRED(409, false),
    // A registration the state machine refused at its place in the log: every session was in use
    // (§6.3, bounded table). Nothing was registered; 429 like the other "too much, come back later".
    TOO_MANY_SESSIONS(429, true),
    // A put or cas the state machine refused at its place in the log: it would have grown the map
    // beyond --max-state-bytes. Nothing changed; deletes still work (as etcd's NOSPACE alarm).
    QUOTA_EXCEEDED(507, true),
    // Refused before anything was proposed: this node already holds all the client work it may.
    OVERLOADED(429, true),
    // Never appended, or appended but overwritten (no session: the request is the whole operation).
    NO_LEADER(503, true),
    SUPERSEDED(503, true),
    // Reads have no effect, so every read failure is definite.
    READ_FAILED(503, true),
    READ_TIMEOUT(504, true),
    // Appended (or possibly appended) but the outcome is unknown.
    OUTCOME_UNKNOWN(503, false),
    COMMIT_TIMEOUT(504, false),
    FORWARD_FAILED(502, false),
    FORWARD_TIMEOUT(504, false),
    INTERNAL(500, false),
    // Leadership transfer (POST /admin/transfer-leader, dissertation §3.10).
    NOT_LEADER(409, true),
    UNKNOWN_MEMBER(400, true),
    NO_OTHER_MEMBER(409, true),
    TRANSFER_TIMEOUT(504, false),
    // Identity of a data directory (issue 20). A node whose cluster's first start is not over, or which
    // refused to take part, serves nothing but its status: nothing was done.
    NOT_A_MEMBER(503, true),
    // A peer message from a data directory the cluster does not know under that id (a node that lost its
    // data), or from another cluster: refused, never delivered.
    IDENTITY_MISMATCH(409, true),
    // Membership changes (/admin/members, dissertation §4.1). Each refusal appended nothing.
    CHANGE_IN_PROGRESS(409, true),
    // A membership change sent to a node that is not the leader: nothing appended; "leader" and
    // "leaderUrl" say where to send it (421 Misdirected Request, RFC 9110 §15.5.20).
    MISDIRECTED(421, true),
    ALREADY_MEMBER(409, true),
    WOULD_LEAVE_NO_QUORUM(422, true),
    // The configuration holds ClusterConfig.MAX_MEMBERS already: nothing appended.
    TOO_MANY_MEMBERS(507, true),
    NOT_CAUGHT_UP(422, true);

    private final int status;
    private final boolean definite;

    ErrorCode(int status, boolean definite) {
        this.status = status;
        this.definite = definite;
    }

    public int status() {
        return status;
    }

    public boolean definite() {
        return definite;
    }

    /**
     * The {@code Retry-After} of an answer that means "not now" rather than "no": a 429 (this node
     * is full) or a definite 503 (no leader yet, or the entry was overwritten; nothing took effect).
     * One second: an election at the default timeouts (300-600 ms) is over by then, and a full node
     * has answered much of what it held.
     */
    public OptionalInt retryAfterSeconds() {
        return status == 429 || status == 503 && definite ? OptionalInt.of(1) : OptionalInt.empty();
    }

    /** The code as it appears in JSON: {@code cas_mismatch}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
