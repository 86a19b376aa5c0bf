package raftkv.server.http;

import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import raftkv.core.TransferResult;
import raftkv.server.EventLoop;
import raftkv.server.FaultInjection;
import raftkv.server.NodeConfig;
import raftkv.server.history.EventHistory;
import raftkv.server.history.NodeEvent;
import raftkv.server.transport.Isolation;

/**
 * Operator routes: {@code POST /admin/transfer-leader} (leadership transfer, dissertation §3.10),
 * and, on a node started with {@code --fault-injection-routes} only, the test-only
 * {@code POST /admin/fault/isolate} and {@code /admin/fault/heal} ({@link Isolation}).
 */
final class AdminRoutes {

    private static final long POLL_MILLIS = 5;

    private final NodeConfig config;
    private final EventLoop loop;
    private final Isolation isolation;
    private final EventHistory history;

    AdminRoutes(NodeConfig config, EventLoop loop, Isolation isolation, EventHistory history) {
        this.config = config;
        this.loop = loop;
        this.isolation = isolation;
        this.history = history;
    }

    /** Cuts this node's Raft traffic both ways until {@link #heal}; client HTTP goes on. */
    void isolate(Context ctx) {
        requireFaultInjection();
        isolation.isolate();
        history.record(NodeEvent.Kind.FAULT, loop.status().term(), config.id()
                + " is cut off from every peer (POST /admin/fault/isolate: its Raft messages are dropped both ways)");
        answerFault(ctx);
    }

    void heal(Context ctx) {
        requireFaultInjection();
        isolation.heal();
        history.record(NodeEvent.Kind.FAULT, loop.status().term(), config.id()
                + " is connected again (POST /admin/fault/heal)");
        answerFault(ctx);
    }

    private void requireFaultInjection() {
        if (config.faultInjection() != FaultInjection.ADMIN_ROUTES) {
            throw new ApiException(ErrorCode.NO_ROUTE, "fault injection is for tests: this node was not started with"
                    + " --fault-injection-routes");
        }
    }

    private void answerFault(Context ctx) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", config.id());
        body.put("isolated", isolation.isolated());
        ctx.json(body);
    }

    /**
     * Hands leadership from this node (it must lead) to {@code "to"}, or to the most up-to-date
     * follower, and answers once another node leads: within one election timeout, or never (the
     * old leader then gives up and leads on).
     */
    void transferLeader(Context ctx) throws InterruptedException {
        String to = ClientRequests.optionalStringField(ctx, "to");
        long start = System.nanoTime();
        TransferResult result;
        try {
            result = loop.transferLeadership(to).get(config.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // The loop's queue was full: the request never reached it.
            throw new ApiException(ErrorCode.OVERLOADED, "the event loop did not take the request; nothing was done");
        } catch (TimeoutException e) {
            // Queued but not yet handled: the loop may still start the transfer after we give up.
            throw new ApiException(ErrorCode.TRANSFER_TIMEOUT, "the event loop did not handle the request within "
                    + config.requestTimeoutMs() + " ms; it is queued and the transfer may still start");
        }
        switch (result) {
            case TransferResult.NotLeader notLeader -> {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("leader", notLeader.leaderHint());
                throw new ApiException(ErrorCode.NOT_LEADER, config.id() + " is not the leader; send this to the"
                        + " leader" + (notLeader.leaderHint() == null ? "" : " " + notLeader.leaderHint()), extra);
            }
            case TransferResult.UnknownMember unknown -> throw new ApiException(ErrorCode.UNKNOWN_MEMBER,
                    "'" + unknown.target() + "' is not another member of the cluster " + config.members().keySet());
            case TransferResult.NoOtherMember none -> throw new ApiException(ErrorCode.NO_OTHER_MEMBER,
                    "the cluster has no other member to hand leadership to");
            case TransferResult.Started started -> awaitNewLeader(ctx, started.transferee(), start);
        }
    }

    private void awaitNewLeader(Context ctx, String transferee, long start) throws InterruptedException {
        // The core abandons the transfer after one (maximum) election timeout; wait a little longer.
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(2L * config.electionTimeoutMaxMs());
        while (System.nanoTime() - deadline < 0) {
            String leader = loop.status().leader();
            if (leader != null && !leader.equals(config.id())) {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("leader", leader);
                body.put("previous", config.id());
                body.put("requested", transferee);
                body.put("tookMs", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                ctx.json(body);
                return;
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new ApiException(ErrorCode.TRANSFER_TIMEOUT, "leadership did not move to " + transferee + " within the"
                + " election timeout; " + config.id() + " leads on, though " + transferee + " may still win the"
                + " election it was asked to start");
    }
}
