package raftkv.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A {@link Driver}'s bookkeeping of the client requests the core answers later, by id: a proposal
 * forwarded to the leader until the leader says where it appended it (from then on the
 * {@link ApplyPath} waits for that index, as for a proposal appended here), and a read until its read
 * index is confirmed (dissertation §6.4 steps 1-3) and then until the state machine has applied that
 * far (step 4). It also hands out the ids, which the core echoes. Belongs to the driver's thread.
 */
final class WaitingRequests<P, R> {

    /** A proposal forwarded to the leader, waiting to learn where it was appended. */
    private record Forward<P>(Session session, P proposal) {}

    /** Reads confirmed by ReadIndex, waiting for the state machine to reach {@code readIndex}. */
    private record ConfirmedReads<R>(long readIndex, R read) {}

    private final KvStore kv;
    private final Driver.Answers<P, R> answers;
    private final ApplyPath<P> applyPath;
    private final Map<Long, Forward<P>> forwards = new HashMap<>();
    private final Map<Long, R> readsAwaitingConfirmation = new HashMap<>();
    private final List<ConfirmedReads<R>> readsAwaitingApply = new ArrayList<>();
    private long nextRequestId;

    /** @param firstRequestId the first id handed out (see {@link Driver}'s constructor); ids grow from there */
    WaitingRequests(KvStore kv, Driver.Answers<P, R> answers, ApplyPath<P> applyPath, long firstRequestId) {
        this.kv = kv;
        this.answers = answers;
        this.applyPath = applyPath;
        this.nextRequestId = firstRequestId;
    }

    /** An id for a read or a forwarded proposal, never handed out before by this driver. */
    long nextId() {
        return nextRequestId++;
    }

    /** Proposals forwarded to the leader that have not yet learnt where they were appended. */
    int forwardsWaiting() {
        return forwards.size();
    }

    /** Reads registered and not yet served or dropped. */
    int readsWaiting() {
        return readsAwaitingConfirmation.size() + readsAwaitingApply.size();
    }

    /** The core forwarded {@code proposal} to the leader as forward {@code proposalId}. */
    void forwarded(long proposalId, Session session, P proposal) {
        forwards.put(proposalId, new Forward<>(session, proposal));
    }

    /** The core registered {@code read} as {@code requestId}: it waits for its read index. */
    void registered(long requestId, R read) {
        readsAwaitingConfirmation.put(requestId, read);
    }

    /**
     * A forwarded proposal the leader appended at (index, term) now waits exactly like one appended
     * here: the existing settlement (applied, superseded, compacted away) covers it unchanged.
     */
    void settleForwards(Ready ready) {
        for (ForwardAnswer answer : ready.forwardAnswers()) {
            Forward<P> forward = forwards.remove(answer.proposalId());
            switch (answer.outcome()) {
                case ForwardOutcome.Appended appended when appended.index() > kv.lastApplied() ->
                        applyPath.awaitCommit(appended.index(), appended.term(), forward.session(), forward.proposal());
                // The entry was applied here before the leader's answer arrived (messages overtook each
                // other): its result is gone, so only the session table can still tell.
                case ForwardOutcome.Appended appended ->
                        answers.forwardUnanswered(forward.proposal(), forward.session(), kv);
                case ForwardOutcome.Refused refused -> answers.forwardRefused(forward.proposal(), refused.leaderHint());
            }
        }
        for (long proposalId : ready.forwardsUnanswered()) {
            Forward<P> forward = forwards.remove(proposalId);
            answers.forwardUnanswered(forward.proposal(), forward.session(), kv);
        }
    }

    /** The core confirmed these reads' read indexes (§6.4 steps 1-3): they wait to be applied that far. */
    void confirmed(List<ReadState> readStates) {
        for (ReadState state : readStates) {
            readsAwaitingApply.add(new ConfirmedReads<>(state.readIndex(), awaitingConfirmation(state.requestId())));
        }
    }

    /** Leadership was lost (or the leader never answered) before these reads were confirmed. */
    void dropped(List<Long> requestIds) {
        for (long requestId : requestIds) {
            answers.readDropped(awaitingConfirmation(requestId));
        }
    }

    /** The read the core confirmed or dropped: it only ever names reads this driver registered. */
    private R awaitingConfirmation(long requestId) {
        R read = readsAwaitingConfirmation.remove(requestId);
        if (read == null) {
            throw new IllegalStateException("the core answered read " + requestId + ", which is not waiting");
        }
        return read;
    }

    /** Serves the confirmed reads the state machine has now applied far enough for. */
    void serveAppliedReads() {
        Iterator<ConfirmedReads<R>> it = readsAwaitingApply.iterator();
        while (it.hasNext()) {
            ConfirmedReads<R> confirmed = it.next();
            // §6.4 step 4: wait until the state machine has applied up to the read index — and while
            // a snapshot is being restored, until it is installed and the entries after it applied.
            if (!applyPath.restoring() && confirmed.readIndex() <= kv.lastApplied()) {
                it.remove();
                answers.serveRead(confirmed.read(), kv);
            }
        }
    }
}
