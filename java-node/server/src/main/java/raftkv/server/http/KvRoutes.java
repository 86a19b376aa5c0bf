package raftkv.server.http;

import io.javalin.http.Context;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import raftkv.core.Command;
import raftkv.core.KvStore;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.server.EventLoop;
import raftkv.server.NodeConfig;
import raftkv.server.ReadOutcome;
import raftkv.server.WriteOutcome;

/**
 * The client API: {@code /kv} reads and writes. Each handler runs on its own virtual thread, so it
 * simply blocks until the event loop answers (or the request's deadline passes).
 *
 * <p>Every request goes to this node's own event loop, leader or not. A follower that knows its
 * leader sends a write on to it over the peer stream and answers once the entry is applied here; a
 * read asks the leader for a read index and is served here (dissertation §6.4; see
 * {@code raftkv.core.Forwarding}). The loop answers "not the leader" only when it knows no leader
 * (an election is under way) or the leader refused the forward (it is handing leadership over, or
 * lost it): then the handler waits until a leader is known and asks again, or, when the refusal
 * names another node, forwards the HTTP request there (the {@link Forwarder}, kept as the fallback).
 * It gives up with a definite 503 only when the request's own deadline passes: a request rides
 * through an election instead of failing.
 */
final class KvRoutes {

    private static final long RETRY_PAUSE_MILLIS = 20;

    /** What one attempt on this node gave: an answer for the client, or "ask the leader". */
    private sealed interface Attempt {
        record Answer(int status, Object body) implements Attempt {}

        record NotLeader(String leaderHint) implements Attempt {}
    }

    private enum Kind {
        READ,
        WRITE
    }

    @FunctionalInterface
    private interface LocalAttempt {
        Attempt run(long deadlineNanos) throws InterruptedException;
    }

    private final NodeConfig config;
    private final EventLoop loop;
    private final Forwarder forwarder;

    KvRoutes(NodeConfig config, EventLoop loop) {
        this.config = config;
        this.loop = loop;
        this.forwarder = new Forwarder(config.id(), config.limits().maxInflightRequests());
    }

    // ---------------------------------------------------------------- routes

    void get(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        read(ctx, kv -> kv.get(id), result -> switch (result) {
            case Result.Ok ok -> new Attempt.Answer(200, entry(id, ok.value()));
            default -> notFound(id);
        });
    }

    /**
     * {@code GET /kv?limit=N&after=ID}: one page of the map, a linearizable read of its own. The loop
     * copies only the page; the JSON is built here, on the handler's thread.
     */
    void list(Context ctx) throws InterruptedException {
        ClientRequests.PageRequest page = ClientRequests.pageRequest(ctx);
        read(ctx, kv -> kv.page(page.after(), page.limit()),
                (KvStore.Page answer) -> new Attempt.Answer(200, pageBody(answer)));
    }

    /** {@code {"kv": {id: name, ...}, "next": id or null}}, the ids in order. */
    static Map<String, Object> pageBody(KvStore.Page page) {
        Map<String, String> kv = new LinkedHashMap<>();
        page.entries().forEach(entry -> kv.put(entry.getKey(), entry.getValue()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("kv", kv);
        body.put("next", page.next());
        return body;
    }

    void put(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        String name = ClientRequests.stringFields(ctx, "name")[0];
        write(ctx, new Command.Put(id, name), ClientRequests.session(ctx), id);
    }

    void cas(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        String[] fields = ClientRequests.stringFields(ctx, "expected", "name");
        write(ctx, new Command.Cas(id, fields[0], fields[1]), ClientRequests.session(ctx), id);
    }

    void delete(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        write(ctx, new Command.Delete(id), ClientRequests.session(ctx), id);
    }

    // ---------------------------------------------------------------- writes and reads

    /**
     * {@code POST /sessions}: registers a client session (dissertation §6.3) and returns its id, or
     * says that the state machine refused it because every session in its table is in use.
     */
    void openSession(Context ctx) throws InterruptedException {
        ClientRequests.emptyBody(ctx);
        propose(ctx, new Command.OpenSession(), null, result -> switch (result) {
            case Result.SessionOpened opened -> new Attempt.Answer(201, Map.of("client_id", opened.clientId()));
            case Result.SessionTableFull full -> {
                // A slot frees once the least recently used session has been idle long enough, which
                // the log's pace decides, not a clock: no better estimate than "soon".
                ctx.header("Retry-After", "1");
                yield errorAnswer(new ApiException(ErrorCode.TOO_MANY_SESSIONS, "all "
                        + config.sessions().maxSessions() + " sessions were used within the last "
                        + config.sessions().idleEntries() + " log entries, so none may be expired to make room;"
                        + " nothing was registered"));
            }
            default -> throw new IllegalStateException("OpenSession applied as " + result);
        });
    }

    private void write(Context ctx, Command command, Session session, String id) throws InterruptedException {
        propose(ctx, command, session, result -> answer(id, result));
    }

    private void propose(Context ctx, Command command, Session session, Function<Result, Attempt.Answer> render)
            throws InterruptedException {
        execute(ctx, Kind.WRITE, deadline -> {
            WriteOutcome outcome = await(loop.propose(command, session), deadline, () -> new ApiException(
                    ErrorCode.COMMIT_TIMEOUT, "no commit within " + config.requestTimeoutMs() + " ms; the write may"
                            + " still take effect"));
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
        });
    }

    private <T> void read(Context ctx, Function<KvStore, T> query, Function<T, Attempt.Answer> render)
            throws InterruptedException {
        execute(ctx, Kind.READ, deadline -> {
            ReadOutcome<T> outcome = await(loop.read(query), deadline, () -> new ApiException(ErrorCode.READ_TIMEOUT,
                    "the read could not be confirmed within " + config.requestTimeoutMs() + " ms"));
            return switch (outcome) {
                case ReadOutcome.Served<T> served -> render.apply(served.value());
                case ReadOutcome.NotLeader<T> notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
                // Leadership changed before the read was confirmed. A read changes nothing, so it is
                // simply asked again, of whoever leads now.
                case ReadOutcome.Dropped<T> dropped -> new Attempt.NotLeader(null);
                case ReadOutcome.Overloaded<T> o -> throw overloaded();
            };
        });
    }

    /** Answers {@code attempt} here, or forwards to the leader, until an answer or a deadline. */
    private void execute(Context ctx, Kind kind, LocalAttempt attempt) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        boolean forwardedToUs = ctx.header(Forwarder.FORWARDED_BY_HEADER) != null;
        while (true) {
            Attempt result = attempt.run(deadline);
            if (result instanceof Attempt.Answer answer) {
                ctx.status(answer.status()).json(answer.body());
                return;
            }
            String hint = ((Attempt.NotLeader) result).leaderHint();
            if (forwardedToUs) {
                // The forwarding node retries with a fresher idea of the leader; we never forward twice.
                ctx.header(Forwarder.NOT_LEADER_HEADER, hint == null ? "" : hint);
                throw new ApiException(ErrorCode.NO_LEADER, config.id() + " is not the leader");
            }
            URI leader = hint == null ? null : config.members().get(hint);
            if (leader != null && !hint.equals(config.id())) {
                switch (forwarder.forward(ctx, leader, deadline)) {
                    case Forwarder.Outcome.Answered answered when !answered.notLeader() -> {
                        answered.retryAfter().ifPresent(seconds -> ctx.header(HttpApi.RETRY_AFTER, seconds));
                        ctx.status(answered.status()).contentType(answered.contentType()).result(answered.body());
                        return;
                    }
                    case Forwarder.Outcome.Answered notLeader -> {} // it lost leadership: ask again
                    case Forwarder.Outcome.Unreachable unreachable -> {} // never delivered: ask again
                    case Forwarder.Outcome.TimedOut timedOut -> throw kind == Kind.WRITE
                            ? new ApiException(ErrorCode.FORWARD_TIMEOUT, "leader " + hint + " did not answer in time;"
                                    + " the write may still take effect")
                            : new ApiException(ErrorCode.READ_TIMEOUT, "leader " + hint + " did not answer in time");
                    case Forwarder.Outcome.Failed failed -> throw kind == Kind.WRITE
                            ? new ApiException(ErrorCode.FORWARD_FAILED, "connection to leader " + hint + " broke ("
                                    + failed.reason() + "); the write may have taken effect")
                            : new ApiException(ErrorCode.READ_FAILED, "connection to leader " + hint + " broke");
                }
            }
            awaitKnownLeader(deadline);
        }
    }

    /**
     * Waits, without queueing anything on the event loop, until this node's published status names
     * a leader; gives up with a definite {@code no_leader} at the request's deadline. Since nothing
     * was handed to the loop while waiting, that failure is certain: nothing was appended.
     */
    private void awaitKnownLeader(long deadlineNanos) throws InterruptedException {
        Thread.sleep(RETRY_PAUSE_MILLIS); // let a fresh leader's first heartbeat land
        while (loop.status().leader() == null) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw new ApiException(ErrorCode.NO_LEADER, "no leader became known to " + config.id() + " within "
                        + config.requestTimeoutMs() + " ms; nothing was done");
            }
            Thread.sleep(RETRY_PAUSE_MILLIS);
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            throw new ApiException(ErrorCode.NO_LEADER, "leader " + loop.status().leader() + " could not be reached by "
                    + config.id() + " within " + config.requestTimeoutMs() + " ms; nothing was done");
        }
    }

    private static <T> T await(CompletableFuture<T> future, long deadlineNanos,
            Supplier<ApiException> onTimeout) throws InterruptedException {
        try {
            return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw onTimeout.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the event loop never fails a future", e);
        }
    }

    // ---------------------------------------------------------------- answers

    private static Attempt.Answer answer(String id, Result result) {
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

    private static Attempt.Answer notFound(String id) {
        return errorAnswer(new ApiException(ErrorCode.NOT_FOUND, "no name for '" + id + "'"));
    }

    private static Attempt.Answer errorAnswer(ApiException e) {
        return new Attempt.Answer(e.code().status(), e.body());
    }

    private static Map<String, Object> entry(String id, String name) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("name", name);
        return body;
    }

    private static ApiException overloaded() {
        return new ApiException(ErrorCode.OVERLOADED, "too many requests queued; nothing was done");
    }
}
