package raftkv.sim;

import java.util.random.RandomGenerator;
import raftkv.core.Message;

/**
 * The simulated network between nodes: every message gets a random delay (so messages reorder),
 * and may be dropped, duplicated or held back. A partition cuts links; it is checked when a
 * message would arrive, so it also destroys messages already in flight (as iptables would).
 */
final class Network {

    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final FaultMix mix;
    private Partition partition = Partition.NONE;
    private long sent;
    private long lost;
    private long snapshotChunks;

    Network(Scheduler scheduler, RandomGenerator random, FaultMix mix) {
        this.scheduler = scheduler;
        this.random = random;
        this.mix = mix;
    }

    void send(Message message) {
        sent++;
        if (message instanceof Message.InstallSnapshot) {
            snapshotChunks++;
        }
        if (random.nextDouble() < mix.dropRate()) {
            lost++;
            return;
        }
        int copies = random.nextDouble() < mix.duplicateRate() ? 2 : 1;
        for (int i = 0; i < copies; i++) {
            scheduler.after(delay(), new Event.Deliver(message));
        }
    }

    /** A delay for one message; clients use it too (they are never partitioned or dropped). */
    long delay() {
        long delay = mix.minDelayMs() + random.nextLong(mix.maxDelayMs() - mix.minDelayMs() + 1);
        if (mix.slowRate() > 0 && random.nextDouble() < mix.slowRate()) {
            delay += random.nextLong(mix.slowDelayMs() + 1);
        }
        return delay;
    }

    /** True if a message from {@code from} may reach {@code to} now. */
    boolean canDeliver(String from, String to) {
        boolean ok = partition.connected(from, to);
        if (!ok) {
            lost++;
        }
        return ok;
    }

    void partition(Partition newPartition) {
        partition = newPartition;
    }

    Partition partition() {
        return partition;
    }

    long sent() {
        return sent;
    }

    long lost() {
        return lost;
    }

    /** InstallSnapshot messages sent (chunks, counting each resend). */
    long snapshotChunks() {
        return snapshotChunks;
    }
}
