package raftkv.server.http;

import io.javalin.http.Context;
import java.net.URI;
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

    private static final long RETRY_PAUSE_MILLIS = 20;

    /** A write's copies so far: how many were sent, and whether one may be in the log. */
    private static final class Copies {
        int sent;
        boolean mayBeInLog;
    }

    /** The one copy of a write was refused because the session this node lent it had expired. */
    private static final class LentSessionExpired extends RuntimeException {
        LentSessionExpired() {
            super(null, null, false, false);
        }
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
    private final ServerSessions serverSessions;

    KvRoutes(NodeConfig config, EventLoop loop) {
        this.config = config;
        this.loop = loop;
        this.forwarder = new Forwarder(config.id(), config.limits().maxInflightRequests());
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
        execute(ctx, Kind.WRITE, deadline, new Copies(), Map.of(), attemptDeadline -> Answers.clientSessionAttempt(
                awaitCommit(loop.propose(new Command.OpenSession(), null), attemptDeadline), result -> switch (result) {
                    case Result.SessionOpened opened -> new Attempt.Answer(201, Map.of("client_id", opened.clientId()));
                    case Result.SessionTableFull full -> throw tooManySessions("nothing was registered");
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
            execute(ctx, Kind.WRITE, deadline, new Copies(), Map.of(), attemptDeadline -> Answers.clientSessionAttempt(
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
        execute(ctx, Kind.WRITE, deadline, copies, lentHeaders, attemptDeadline -> {
            copies.sent++;
            WriteOutcome outcome = awaitCommit(loop.propose(command, lent), attemptDeadline);
            return switch (outcome) {
                case WriteOutcome.Applied applied -> switch (applied.result()) {
                    case Result.SessionExpired expired when copies.sent == 1 -> throw new LentSessionExpired();
                    case Result.SessionExpired expired -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN,
                            "the session this node lent to the write expired while it was retried: an earlier copy"
                                    + " may have taken effect");
                    // The node that lent the session gave up on this write and moved on to the next.
                    case Result.StaleSession stale -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN,
                            "the node that lent this write its session moved on to a later write: an earlier copy"
                                    + " may have taken effect");
                    default -> Answers.answer(id, applied.result());
                };
                case WriteOutcome.NotLeader notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
                // The one copy ever sent was overwritten, and the session does not record it executed.
                case WriteOutcome.OutcomeUnknown u when copies.sent == 1 -> throw new ApiException(
                        ErrorCode.SUPERSEDED, "a new leader overwrote the entry before it committed, and it was the"
                                + " only copy: it will never take effect");
                // This copy may be in the log, or was overwritten while another may be: another copy
                // with the same session applies at most once, and is answered from the record if one did.
                case WriteOutcome.ForwardUnanswered u -> new Attempt.TryAgain();
                case WriteOutcome.OutcomeUnknown u -> new Attempt.TryAgain();
                case WriteOutcome.Superseded s -> throw new IllegalStateException("a write with a session superseded");
                case WriteOutcome.Overloaded o -> throw Answers.overloaded();
            };
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
                        tooManySessions("this node could not open a session for the write, which was never proposed");
                case WriteOutcome.Applied applied -> throw new IllegalStateException("OpenSession applied as " + applied);
                case WriteOutcome.Overloaded o -> throw Answers.overloaded();
                // Not registered, or perhaps registered: an unused session is harmless; register again.
                default -> awaitKnownLeader(deadline, new Copies());
            }
        }
    }

    private <T> void read(Context ctx, Function<KvStore, T> query, Function<T, Attempt.Answer> render)
            throws InterruptedException {
        execute(ctx, Kind.READ, deadline(), new Copies(), Map.of(), deadline -> {
            ReadOutcome<T> outcome = await(loop.read(query), deadline, () -> new ApiException(ErrorCode.READ_TIMEOUT,
                    "the read could not be confirmed within " + config.requestTimeoutMs() + " ms"));
            return switch (outcome) {
                case ReadOutcome.Served<T> served -> render.apply(served.value());
                case ReadOutcome.NotLeader<T> notLeader -> new Attempt.NotLeader(notLeader.leaderHint());
                // Leadership changed before the read was confirmed. A read changes nothing, so it is
                // simply asked again, of whoever leads now.
                case ReadOutcome.Dropped<T> dropped -> new Attempt.NotLeader(null);
                case ReadOutcome.Overloaded<T> o -> throw Answers.overloaded();
            };
        });
    }

    /**
     * Answers {@code attempt} here, or forwards to the leader, until an answer or the deadline.
     *
     * @param copies the copies of a write sent so far, and whether one may be in the log
     * @param lentHeaders the lent session to forward with the request (a sessionless write), or none
     */
    private void execute(Context ctx, Kind kind, long deadline, Copies copies, Map<String, String> lentHeaders,
            LocalAttempt attempt) throws InterruptedException {
        boolean forwardedToUs = ctx.header(Forwarder.FORWARDED_BY_HEADER) != null;
        while (true) {
            Attempt result = attempt.run(deadline);
            switch (result) {
                case Attempt.Answer answer -> {
                    ctx.status(answer.status()).json(answer.body());
                    return;
                }
                case Attempt.TryAgain again -> {
                    copies.mayBeInLog = true;
                    awaitKnownLeader(deadline, copies);
                    continue;
                }
                case Attempt.NotLeader notLeader -> {}
            }
            String hint = ((Attempt.NotLeader) result).leaderHint();
            if (forwardedToUs && !copies.mayBeInLog) {
                // Nothing of ours is in the log: the forwarding node asks again, with a fresher idea of
                // the leader. A node never forwards a forwarded request on (no loops).
                ctx.header(Forwarder.NOT_LEADER_HEADER, hint == null ? "" : hint);
                throw new ApiException(ErrorCode.NO_LEADER, config.id() + " is not the leader");
            }
            String leaderUrl = hint == null ? null : HttpApi.clientUrls(config, loop.status()).get(hint);
            URI leader = leaderUrl == null || leaderUrl.isEmpty() ? null : URI.create(leaderUrl);
            if (leader != null && !hint.equals(config.id()) && !forwardedToUs) {
                Forwarder.Outcome forwarded = forwarder.forward(ctx, leader, deadline, lentHeaders);
                if (!(forwarded instanceof Forwarder.Outcome.Unreachable) && !lentHeaders.isEmpty()) {
                    copies.sent++;
                    copies.mayBeInLog = true; // the other node may have proposed it before it said no
                }
                switch (forwarded) {
                    case Forwarder.Outcome.Answered answered when !answered.notLeader() -> {
                        answered.retryAfter().ifPresent(seconds -> ctx.header(HttpApi.RETRY_AFTER, seconds));
                        ctx.status(answered.status()).contentType(answered.contentType()).result(answered.body());
                        return;
                    }
                    case Forwarder.Outcome.Answered notLeader -> {} // it lost leadership: ask again
                    case Forwarder.Outcome.Unreachable unreachable -> {} // never delivered: ask again
                    case Forwarder.Outcome.Failed failed when !lentHeaders.isEmpty() -> {} // the lent session dedupes
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
            awaitKnownLeader(deadline, copies);
        }
    }

    /**
     * Waits, without queueing anything on the event loop, until this node's published status names
     * a leader. At the request's deadline it gives up: with a definite {@code no_leader} if no copy
     * of the request may be in the log (nothing was handed to the loop while waiting, and every
     * earlier refusal was certain), else with an indefinite {@code commit_timeout}.
     */
    private void awaitKnownLeader(long deadlineNanos, Copies copies) throws InterruptedException {
        Thread.sleep(RETRY_PAUSE_MILLIS); // let a fresh leader's first heartbeat land
        while (loop.status().leader() == null) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                throw deadlinePassed(copies, "no leader became known to " + config.id());
            }
            Thread.sleep(RETRY_PAUSE_MILLIS);
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            throw deadlinePassed(copies, "leader " + loop.status().leader() + " could not be reached by " + config.id());
        }
    }

    private ApiException deadlinePassed(Copies copies, String what) {
        String within = " within " + config.requestTimeoutMs() + " ms";
        return copies.mayBeInLog
                ? new ApiException(ErrorCode.COMMIT_TIMEOUT, what + within + "; an earlier copy of the write may still"
                        + " take effect (once at most: it carries a session)")
                : new ApiException(ErrorCode.NO_LEADER, what + within + "; nothing was done");
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

    private ApiException tooManySessions(String consequence) {
        // A slot frees once the least recently used session has been idle long enough, which the
        // log's pace decides, not a clock: no better estimate than "soon" (Retry-After: 1).
        return new ApiException(ErrorCode.TOO_MANY_SESSIONS, "all " + config.sessions().maxSessions()
                + " sessions were used within the last " + config.sessions().idleEntries() + " log entries, so none"
                + " may be expired to make room; " + consequence);
    }
}
