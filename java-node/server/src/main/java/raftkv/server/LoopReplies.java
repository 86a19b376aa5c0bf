package raftkv.server;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import raftkv.core.Driver;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Result;
import raftkv.core.Session;

/** How the driver's outcomes reach the waiting HTTP handlers: by completing their futures. */
final class LoopReplies implements Driver.Answers<CompletableFuture<WriteOutcome>, List<EventLoop.Read<?>>> {
    @Override
    public void applied(CompletableFuture<WriteOutcome> reply, Result result) {
        reply.complete(new WriteOutcome.Applied(result));
    }

    @Override
    public void superseded(CompletableFuture<WriteOutcome> reply, Session session, LogEntry committed,
            KvStore kv) {
        reply.complete(Settlement.superseded(session, kv));
    }

    @Override
    public void compactedAway(CompletableFuture<WriteOutcome> reply, Session session, KvStore kv) {
        // A snapshot from the new leader replaced this write's index before it was applied here:
        // with a session, the restored session table may still say it executed.
        reply.complete(Settlement.unknownUnlessRecorded(session, kv, new WriteOutcome.OutcomeUnknown()));
    }

    @Override
    public void forwardRefused(CompletableFuture<WriteOutcome> reply, String leaderHint) {
        reply.complete(new WriteOutcome.NotLeader(leaderHint));
    }

    @Override
    public void forwardUnanswered(CompletableFuture<WriteOutcome> reply, Session session, KvStore kv) {
        // With a session, the table may already say it executed (and with which result).
        reply.complete(Settlement.unknownUnlessRecorded(session, kv, new WriteOutcome.ForwardUnanswered()));
    }

    @Override
    public void serveRead(List<EventLoop.Read<?>> reads, KvStore kv) {
        reads.forEach(read -> read.serve(kv));
    }

    @Override
    public void readDropped(List<EventLoop.Read<?>> reads) {
        reads.forEach(EventLoop::failDropped);
    }
}

