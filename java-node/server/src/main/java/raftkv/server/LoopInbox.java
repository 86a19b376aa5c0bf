package raftkv.server;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import raftkv.core.Message;
import raftkv.core.RestoredState;
import raftkv.core.Snapshot;

/**
 * The event loop's channels and its {@code select}: a bounded queue of peer messages, a bounded
 * queue of client events, a slot for the snapshot writer's completion (one snapshot is written at a
 * time), one for the snapshot restorer's (one received snapshot is decoded at a time), and the wake-up that lets one thread wait on all of them and on its clock at once.
 *
 * <p>Java has no select over several queues, so this does what a select does underneath: whoever
 * queues something then {@linkplain LockSupport#unpark unparks} the loop thread, and the loop,
 * finding both queues empty, {@linkplain LockSupport#parkNanos parks} until its next tick is due.
 * The park permit is a one-bit semaphore of the thread: an unpark that falls between the loop's
 * "both empty" check and its park is not lost, the park then returns at once. Neither queue ever
 * blocks whoever offers to it; a full queue says so, and the caller answers for it.
 *
 * @param <C> what clients ask of the loop
 */
final class LoopInbox<C> {

    private final Thread loop;
    private final int peerCapacity;
    private final BlockingQueue<Message> peerMessages;
    private final BlockingQueue<C> clientEvents;
    private final AtomicLong peerMessagesLost = new AtomicLong();
    private final AtomicReference<Snapshot> snapshotWritten = new AtomicReference<>();
    private final AtomicReference<SnapshotRestored> snapshotRestored = new AtomicReference<>();

    /** A snapshot from the leader, decoded by the restorer thread, to install on the loop. */
    record SnapshotRestored(Snapshot snapshot, RestoredState state) {}

    /** @param loop the one thread that takes from this inbox, and the one a new event wakes */
    LoopInbox(Thread loop, int peerCapacity, int clientCapacity) {
        this.loop = loop;
        this.peerCapacity = peerCapacity;
        this.peerMessages = new ArrayBlockingQueue<>(peerCapacity);
        this.clientEvents = new ArrayBlockingQueue<>(clientCapacity);
    }

    /** Queues a peer message; false if the peer queue is full (the message is lost, as on a network). */
    boolean offerPeerMessage(Message message) {
        if (offer(peerMessages, message)) {
            return true;
        }
        peerMessagesLost.incrementAndGet();
        return false;
    }

    /** Queues a client event; false if the client queue is full. */
    boolean offerClientEvent(C event) {
        return offer(clientEvents, event);
    }

    /**
     * The snapshot writer made {@code snapshot} durable. The slot holds one: the writer has one job
     * at a time, and the loop empties the slot before it can start the next.
     */
    void offerSnapshotWritten(Snapshot snapshot) {
        if (!snapshotWritten.compareAndSet(null, snapshot)) {
            throw new IllegalStateException("a written snapshot is queued already: " + snapshotWritten.get());
        }
        LockSupport.unpark(loop);
    }

    /** Hands the written snapshot, if there is one, to {@code handle}. */
    void takeSnapshotWritten(Consumer<Snapshot> handle) {
        Snapshot snapshot = snapshotWritten.getAndSet(null);
        if (snapshot != null) {
            handle.accept(snapshot);
        }
    }

    /**
     * The snapshot restorer decoded {@code snapshot}. The slot holds one: the restorer has one job at
     * a time, and the loop empties the slot before it can start the next.
     */
    void offerSnapshotRestored(Snapshot snapshot, RestoredState state) {
        SnapshotRestored restored = new SnapshotRestored(snapshot, state);
        if (!snapshotRestored.compareAndSet(null, restored)) {
            throw new IllegalStateException("a restored snapshot is queued already: " + snapshotRestored.get());
        }
        LockSupport.unpark(loop);
    }

    /** Hands the restored snapshot, if there is one, to {@code handle}. */
    void takeSnapshotRestored(Consumer<SnapshotRestored> handle) {
        SnapshotRestored restored = snapshotRestored.getAndSet(null);
        if (restored != null) {
            handle.accept(restored);
        }
    }

    private <E> boolean offer(BlockingQueue<E> queue, E event) {
        if (!queue.offer(event)) {
            return false;
        }
        LockSupport.unpark(loop);
        return true;
    }

    long peerMessagesLost() {
        return peerMessagesLost.get();
    }

    /**
     * On the loop thread: parks until something is queued, {@code deadlineNanos} passes or the
     * thread is interrupted. A park may also end for no reason, or because of an unpark meant for
     * an event already taken: then it just checks again.
     */
    void awaitEventUntil(long deadlineNanos) {
        long wait;
        while (peerMessages.isEmpty() && clientEvents.isEmpty() && snapshotWritten.get() == null
                && snapshotRestored.get() == null && !loop.isInterrupted()
                && (wait = deadlineNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, wait);
        }
    }

    /** Every queued peer message, but one queue's worth at most, so that the caller's turn ends. */
    void takePeerMessages(Consumer<Message> step) {
        Message message;
        for (int n = 0; n < peerCapacity && (message = peerMessages.poll()) != null; n++) {
            step.accept(message);
        }
    }

    /** The oldest {@code max} client events at most. */
    void takeClientEvents(int max, Consumer<C> handle) {
        C event;
        for (int n = 0; n < max && (event = clientEvents.poll()) != null; n++) {
            handle.accept(event);
        }
    }
}
