package raftkv.server.http;

import io.javalin.http.Context;
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
import raftkv.server.http.RetryLoop.Copies;
import raftkv.server.http.RetryLoop.Kind;

/**
 * The client API: {@code /kv} reads and writes. Each handler runs on its own virtual thread, so it
 * simply blocks until the event loop answers (or the request's deadline passes).
 *
 * <p>Every request goes to this node's own event loop, leader or not. A follower that knows its
 * leader sends a write on to it over the peer stream and answers once the entry is applied here; a
 * read asks the leader for a read index and is served here (dissertation §6.4; see
 * {@code raftkv.core.OutgoingForwards}). The loop answers "not the leader" only when it knows no leader
 * (an election is under way) or the leader refused the forward (it is handing leadership over, or
 * lost it): then the handler waits until a leader is known and asks again, or, when the refusal
 * names another node, forwards the HTTP request there (the {@link Forwarder}, kept as the fallback).
 * It gives up with a definite 503 only when the request's own deadline passes: a request rides
 * through an election instead of failing. That retry policy is the {@link RetryLoop}'s; what a
 * client is told, the {@link Answers}'. This class routes: which command, which session, which wait.
 *
 * <p>A write is never proposed twice unless the state machine deduplicates it: every copy carries
 * a session (dissertation §6.3), the client's own or one this node lends a write sent without one
 * ({@link ServerSessions}). With a lent session the node also tries again after an outcome it cannot
 * know (the forward was never answered, the copy was overwritten), since a second copy can only be
 * answered from the first one's record; the client sees {@code forward_failed} or
 * {@code outcome_unknown} for writes of its own sessions, whose retries it decides (and, rarely,
 * when a lent session expired while the node retried).
 */
final class KvRoutes {

    /** The one copy of a write was refused because the session this node lent it had expired. */
    private static final class LentSessionExpired extends RuntimeException {
        LentSessionExpired() {
            super(null, null, false, false);
        }
    }

    private final NodeConfig config;
    private final EventLoop loop;
    private final Forwarder forwarder;
    private final RetryLoop retry;
    private final ServerSessions serverSessions;

    KvRoutes(NodeConfig config, EventLoop loop) {
        this.config = config;
        this.loop = loop;
        this.forwarder = new Forwarder(config.id(), config.limits().maxInflightRequests());
        this.retry = new RetryLoop(config, loop, forwarder);
        this.serverSessions = new ServerSessions(config.limits().maxInflightRequests(),
                config.sessions().idleEntries());
    }

    /** Closes the HTTP fallback's idle connections. */
    void close() {
        forwarder.close();
    }

    // ---------------------------------------------------------------- routes

    void get(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        read(ctx, kv -> kv.get(id), result -> switch (result) {
            case Result.Ok ok -> new Attempt.Answer(200, Answers.entry(id, ok.value()));
            default -> Answers.notFound(id);
        });
    }

    /**
     * {@code GET /kv?limit=N&after=ID}: one page of the map, a linearizable read of its own. The loop
     * copies only the page; the JSON is built here, on the handler's thread.
     */
    void list(Context ctx) throws InterruptedException {
        ClientRequests.PageRequest page = ClientRequests.pageRequest(ctx);
        read(ctx, kv -> kv.page(page.after(), page.limit()),
                (KvStore.Page answer) -> new Attempt.Answer(200, Answers.pageBody(answer)));
    }

    void put(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        String name = ClientRequests.stringFields(ctx, "name")[0];
        write(ctx, new Command.Put(id, name), id);
    }

    void cas(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        String[] fields = ClientRequests.stringFields(ctx, "expected", "name");
        write(ctx, new Command.Cas(id, fields[0], fields[1]), id);
    }

    void delete(Context ctx) throws InterruptedException {
        String id = ClientRequests.id(ctx);
        write(ctx, new Command.Delete(id), id);
    }

    // ---------------------------------------------------------------- writes and reads

    /**
     * {@code POST /sessions}: registers a client session (dissertation §6.3) and returns its id, or
     * says that the state machine refused it because every session in its table is in use. The one
     * write proposed without a session: a second copy only opens a session nobody uses.
     */
    void openSession(Context ctx) throws InterruptedException {
        ClientRequests.emptyBody(ctx);
        long deadline = deadline();
        retry.execute(ctx, Kind.WRITE, deadline, new Copies(), Map.of(), attemptDeadline -> Answers.clientSessionAttempt(
                awaitCommit(loop.propose(new Command.OpenSession(), null), attemptDeadline), result -> switch (result) {
                    case Result.SessionOpened opened -> new Attempt.Answer(201, Map.of("client_id", opened.clientId()));
                    case Result.SessionTableFull full ->
                            throw Answers.tooManySessions(config.sessions(), "nothing was registered");
                    default -> throw new IllegalStateException("OpenSession applied as " + result);
                }));
    }

    /**
     * A put, cas or delete. Every copy of it that this node proposes (or forwards over HTTP) carries
     * a session, so the state machine applies it at most once: the client's own, or else one lent by
     * this node ({@link ServerSessions}), or lent by the follower that forwarded it here.
     */
    private void write(Context ctx, Command command, String id) throws InterruptedException {
        long deadline = deadline();
        Session clientSession = ClientRequests.session(ctx);
        if (clientSession != null) {
            retry.execute(ctx, Kind.WRITE, deadline, new Copies(), Map.of(), attemptDeadline -> Answers.clientSessionAttempt(
                    awaitCommit(loop.propose(command, clientSession), attemptDeadline), result -> Answers.answer(id, result)));
            return;
        }
        Session lent = ClientRequests.lentSession(ctx);
        if (lent != null) {
            // The follower that lent it may have sent other copies: count one already.
            Copies copies = new Copies();
            copies.sent++;
            executeLent(ctx, command, id, lent, deadline, copies);
            return;
        }
        while (true) {
            ServerSessions.Lease lease = lease(deadline);
            try {
                executeLent(ctx, command, id, lease.session(), deadline, new Copies());
                serverSessions.giveBack(lease, loop.status().lastApplied());
                return;
            } catch (LentSessionExpired e) {
                // Not given back: the state machine forgot it. Only one copy was ever sent and it was
                // refused without executing: nothing happened, so a fresh session may try again.
            } catch (RuntimeException | InterruptedException | Error e) {
                serverSessions.giveBack(lease, loop.status().lastApplied()); // whatever became of the write
                throw e;
            }
        }
    }

    /** Proposes a write that carries a lent session until it is answered; retrying it is always safe. */
    private void executeLent(Context ctx, Command command, String id, Session lent, long deadline, Copies copies)
            throws InterruptedException {
        Map<String, String> lentHeaders = Map.of(ClientRequests.LENT_ID_HEADER, lent.clientId(),
                ClientRequests.LENT_SEQ_HEADER, Long.toString(lent.sequence()));
        retry.execute(ctx, Kind.WRITE, deadline, copies, lentHeaders, attemptDeadline -> {
            copies.sent++;
            WriteOutcome outcome = awaitCommit(loop.propose(command, lent), attemptDeadline);
            if (copies.sent == 1 && outcome instanceof WriteOutcome.Applied applied
                    && applied.result() instanceof Result.SessionExpired) {
                throw new LentSessionExpired();
            }
            return Answers.lentSessionAttempt(outcome, id, copies.sent);
        });
    }

    /** The session for a sessionless write: an idle one of this node's, or a new one registered now. */
    private ServerSessions.Lease lease(long deadline) throws InterruptedException {
        ServerSessions.Lease idle = serverSessions.take(loop.status().lastApplied());
        if (idle != null) {
            return idle;
        }
        while (true) {
            WriteOutcome outcome = await(loop.propose(new Command.OpenSession(), null), deadline, () -> new ApiException(
                    ErrorCode.NO_LEADER, "could not open a session for this write within " + config.requestTimeoutMs()
                            + " ms (the leader did not commit the registration); the write itself was never proposed"));
            switch (outcome) {
                case WriteOutcome.Applied applied when applied.result() instanceof Result.SessionOpened opened -> {
                    return ServerSessions.opened(opened.clientId());
                }
                case WriteOutcome.Applied applied when applied.result() instanceof Result.SessionTableFull -> throw
                        Answers.tooManySessions(config.sessions(),
                                "this node could not open a session for the write, which was never proposed");
                case WriteOutcome.Applied applied -> throw new IllegalStateException("OpenSession applied as " + applied);
                case WriteOutcome.Overloaded o -> throw Answers.overloaded();
                // Not registered, or perhaps registered: an unused session is harmless; register again.
                default -> retry.awaitKnownLeader(deadline, new Copies());
            }
        }
    }

    private <T> void read(Context ctx, Function<KvStore, T> query, Function<T, Attempt.Answer> render)
            throws InterruptedException {
        retry.execute(ctx, Kind.READ, deadline(), new Copies(), Map.of(), deadline -> {
            ReadOutcome<T> outcome = await(loop.read(query), deadline, () -> new ApiException(ErrorCode.READ_TIMEOUT,
                    "the read could not be confirmed within " + config.requestTimeoutMs() + " ms"));
            return Answers.readAttempt(outcome, render);
        });
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
    }

    private WriteOutcome awaitCommit(CompletableFuture<WriteOutcome> outcome, long deadline)
            throws InterruptedException {
        return await(outcome, deadline, () -> new ApiException(ErrorCode.COMMIT_TIMEOUT, "no commit within "
                + config.requestTimeoutMs() + " ms; the write may still take effect"));
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
}
