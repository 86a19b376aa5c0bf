package raftkv.server.http;

import io.javalin.http.Context;
import java.net.URI;
import java.util.Map;
import raftkv.server.EventLoop;
import raftkv.server.NodeConfig;

/**
 * The client API's retry policy: answers an attempt on this node, or forwards the HTTP request to the
 * leader, until there is an answer or the request's deadline passes. "Not the leader" makes it wait
 * until a leader is known and ask again (a request rides through an election instead of failing);
 * an outcome it cannot know is tried again only for a write whose session dedupes the copies
 * ({@link Attempt.TryAgain}). At the deadline it fails definitely only if no copy may be in the log.
 */
final class RetryLoop {

    private static final long RETRY_PAUSE_MILLIS = 20;

    /** A write's copies so far: how many were sent, and whether one may be in the log. */
    static final class Copies {
        int sent;
        boolean mayBeInLog;
    }

    /** What is being retried: it decides which error a broken forward is. */
    enum Kind {
        READ,
        WRITE
    }

    /** One attempt on this node, waiting for the loop's answer until the deadline at most. */
    @FunctionalInterface
    interface LocalAttempt {
        Attempt run(long deadlineNanos) throws InterruptedException;
    }

    private final NodeConfig config;
    private final EventLoop loop;
    private final Forwarder forwarder;

    RetryLoop(NodeConfig config, EventLoop loop, Forwarder forwarder) {
        this.config = config;
        this.loop = loop;
        this.forwarder = forwarder;
    }

    /**
     * Answers {@code attempt} here, or forwards to the leader, until an answer or the deadline.
     *
     * @param copies the copies of a write sent so far, and whether one may be in the log
     * @param lentHeaders the lent session to forward with the request (a sessionless write), or none
     */
    void execute(Context ctx, Kind kind, long deadline, Copies copies, Map<String, String> lentHeaders,
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
    void awaitKnownLeader(long deadlineNanos, Copies copies) throws InterruptedException {
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
}
