package raftkv.server.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import raftkv.core.KvStore;
import raftkv.core.Result;
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

    static ApiException overloaded() {
        return new ApiException(ErrorCode.OVERLOADED, "too many requests queued; nothing was done");
    }
}
