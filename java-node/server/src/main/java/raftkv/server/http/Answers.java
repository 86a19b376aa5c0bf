package raftkv.server.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import raftkv.core.KvStore;
import raftkv.core.Result;
import raftkv.core.SessionLimits;
import raftkv.server.ReadOutcome;
import raftkv.server.WriteOutcome;

/** How the client API renders what the state machine and the event loop said: bodies and error codes. */
final class Answers {

    private Answers() {}

    /** {@code {"kv": {id: name, ...}, "next": id or null}}, the ids in order. */
    static Map<String, Object> pageBody(KvStore.Page page) {
        Map<String, String> kv = new LinkedHashMap<>();
        page.entries().forEach(entry -> kv.put(entry.getKey(), entry.getValue()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kv", kv);
        body.put("next", page.next());
        return body;
    }

    /** The attempt of a write that carries the client's session (or none: a registration). */
    static Attempt clientSessionAttempt(WriteOutcome outcome, Function<Result, Attempt.Answer> render) {
        return switch (outcome) {
            case WriteOutcome.Applied applied -> render.apply(applied.result());
            case WriteOutcome.NotLeader notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
            case WriteOutcome.Superseded s -> throw new ApiException(ErrorCode.SUPERSEDED,
                    "a new leader overwrote the entry before it committed; it will never take effect");
            case WriteOutcome.OutcomeUnknown u -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN,
                    "a new leader overwrote this copy of the write, but another copy sent with the same session"
                            + " may have taken effect or may still do so; retry with the same session to learn");
            case WriteOutcome.ForwardUnanswered u -> throw new ApiException(ErrorCode.FORWARD_FAILED,
                    "the leader did not say where it appended the forwarded write before leadership changed or"
                            + " the wait ran out; the write may have taken effect");
            case WriteOutcome.Overloaded o -> throw overloaded();
        };
    }

    /**
     * The attempt of a write that carries a session this node (or the follower that forwarded it)
     * lent it, the {@code copiesSent}th copy. A first copy refused because the lent session expired
     * never gets here: it executed nowhere, so the caller starts over with a fresh session.
     */
    static Attempt lentSessionAttempt(WriteOutcome outcome, String id, int copiesSent) {
        return switch (outcome) {
            case WriteOutcome.Applied applied -> switch (applied.result()) {
                case Result.SessionExpired expired -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN,
                        "the session this node lent to the write expired while it was retried: an earlier copy"
                                + " may have taken effect");
                // The node that lent the session gave up on this write and moved on to the next.
                case Result.StaleSession stale -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN,
                        "the node that lent this write its session moved on to a later write: an earlier copy"
                                + " may have taken effect");
                default -> answer(id, applied.result());
            };
            case WriteOutcome.NotLeader notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
            // The one copy ever sent was overwritten, and the session does not record it executed.
            case WriteOutcome.OutcomeUnknown u when copiesSent == 1 -> throw new ApiException(
                    ErrorCode.SUPERSEDED, "a new leader overwrote the entry before it committed, and it was the"
                            + " only copy: it will never take effect");
            // This copy may be in the log, or was overwritten while another may be: another copy
            // with the same session applies at most once, and is answered from the record if one did.
            case WriteOutcome.ForwardUnanswered u -> new Attempt.TryAgain();
            case WriteOutcome.OutcomeUnknown u -> new Attempt.TryAgain();
            case WriteOutcome.Superseded s -> throw new IllegalStateException("a write with a session superseded");
            case WriteOutcome.Overloaded o -> throw overloaded();
        };
    }

    /** The attempt of a linearizable read; {@code render} turns what it found into the answer. */
    static <T> Attempt readAttempt(ReadOutcome<T> outcome, Function<T, Attempt.Answer> render) {
        return switch (outcome) {
            case ReadOutcome.Served<T> served -> render.apply(served.value());
            case ReadOutcome.NotLeader<T> notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
            // Leadership changed before the read was confirmed. A read changes nothing, so it is
            // simply asked again, of whoever leads now.
            case ReadOutcome.Dropped<T> dropped -> new Attempt.NotLeader(null);
            case ReadOutcome.Overloaded<T> o -> throw overloaded();
        };
    }

    static Attempt.Answer answer(String id, Result result) {
        return switch (result) {
            case Result.Ok ok -> new Attempt.Answer(200, entry(id, ok.value()));
            case Result.NotFound notFound -> notFound(id);
            case Result.Mismatch mismatch -> errorAnswer(new ApiException(ErrorCode.CAS_MISMATCH,
                    "'" + id + "' holds a different name", Map.of("current", mismatch.actual())));
            case Result.StaleSession stale -> errorAnswer(new ApiException(ErrorCode.STALE_SESSION,
                    "this session already moved past that sequence number: this request changed nothing, but an"
                            + " earlier attempt with the same sequence may have taken effect",
                    Map.of("lastSequence", stale.lastSequence())));
            case Result.SessionExpired expired -> errorAnswer(new ApiException(ErrorCode.SESSION_EXPIRED,
                    "session '" + expired.clientId() + "' is unknown (it expired, or was never issued): this request"
                            + " changed nothing, but an earlier attempt may have taken effect; open a new session"
                            + " with POST /sessions for further writes"));
            case Result.QuotaExceeded exceeded -> errorAnswer(new ApiException(ErrorCode.QUOTA_EXCEEDED,
                    "the state machine holds " + exceeded.stateBytes() + " of its " + exceeded.quotaBytes()
                            + " state bytes (--max-state-bytes) and this write would grow it beyond: nothing changed;"
                            + " deletes still work",
                    Map.of("stateBytes", exceeded.stateBytes(), "quotaBytes", exceeded.quotaBytes())));
            case Result.SessionOpened opened -> throw new IllegalStateException("a write opened a session: " + opened);
            case Result.SessionTableFull full -> throw new IllegalStateException("a write was refused a session: " + full);
        };
    }

    static Attempt.Answer notFound(String id) {
        return errorAnswer(new ApiException(ErrorCode.NOT_FOUND, "no name for '" + id + "'"));
    }

    static Attempt.Answer errorAnswer(ApiException e) {
        return new Attempt.Answer(e.code().status(), e.body());
    }

    static Map<String, Object> entry(String id, String name) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("name", name);
        return body;
    }

    static ApiException tooManySessions(SessionLimits sessions, String consequence) {
        // A slot frees once the least recently used session has been idle long enough, which the
        // log's pace decides, not a clock: no better estimate than "soon" (Retry-After: 1).
        return new ApiException(ErrorCode.TOO_MANY_SESSIONS, "all " + sessions.maxSessions()
                + " sessions were used within the last " + sessions.idleEntries() + " log entries, so none"
                + " may be expired to make room; " + consequence);
    }

    static ApiException overloaded() {
        return new ApiException(ErrorCode.OVERLOADED, "too many requests queued; nothing was done");
    }
}
