package raftkv.sim;

import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Injects faults at random moments, in the proportions of a {@link FaultMix}: partitions of
 * Jepsen's four shapes, crashes of any node or of the leader (each restarted from its storage after
 * a random downtime), and heals.
 */
final class Nemesis implements Cluster.Observer {

    private final Cluster cluster;
    private final FaultMix mix;
    private final SplittableRandom random;
    private final TreeSet<String> down = new TreeSet<>();
    private boolean active = true;

    Nemesis(Cluster cluster, FaultMix mix, SplittableRandom random) {
        this.cluster = cluster;
        this.mix = mix;
        this.random = random;
    }

    void start() {
        scheduleNext();
    }

    private void scheduleNext() {
        long pause = mix.faultEveryMinMs() + random.nextLong(mix.faultEveryMaxMs() - mix.faultEveryMinMs() + 1);
        cluster.scheduler().after(pause, new Event.Timer("nemesis", () -> {
            if (active) {
                act();
                scheduleNext();
            }
        }));
    }

    /** The machines that exist now (the membership mix adds some and retires others). */
    private List<String> ids() {
        return cluster.live();
    }

    private void act() {
        List<String> ids = ids();
        int total = mix.partitionWeight() + mix.crashWeight() + mix.crashLeaderWeight() + mix.healWeight();
        int pick = random.nextInt(total);
        if ((pick -= mix.partitionWeight()) < 0) {
            cluster.partition(randomPartition());
        } else if ((pick -= mix.crashWeight()) < 0) {
            crash(ids.get(random.nextInt(ids.size())));
        } else if ((pick -= mix.crashLeaderWeight()) < 0) {
            SimNode leader = cluster.leader();
            if (leader != null) {
                crash(leader.id());
            }
        } else {
            cluster.heal();
        }
    }

    private Partition randomPartition() {
        List<String> ids = ids();
        return switch (random.nextInt(4)) {
            case 0 -> Partition.randomHalves(ids, random);
            case 1 -> {
                SimNode leader = cluster.leader();
                yield Partition.isolate(leader != null ? leader.id() : ids.get(random.nextInt(ids.size())), ids);
            }
            case 2 -> Partition.majoritiesRing(ids, random);
            default -> Partition.bridge(ids, random);
        };
    }

    private void crash(String id) {
        if (down.contains(id) || down.size() >= mix.maxDown()) {
            return;
        }
        down.add(id);
        if (random.nextDouble() < mix.powerCutRate()) {
            cluster.cutPowerAtNextSync(id); // it dies mid-fsync, or at its restart time at the latest
        } else {
            cluster.crash(id);
        }
        long downtime = mix.downMinMs() + random.nextLong(mix.downMaxMs() - mix.downMinMs() + 1);
        cluster.scheduler().after(downtime, new Event.Timer("restart " + id, () -> restart(id)));
    }

    /** Some leaders die young: right after election, while they replicate to their followers. */
    @Override
    public void leaderElected(long timeMs, SimNode leader) {
        if (active && random.nextDouble() < mix.newLeaderCrashRate()) {
            long after = 1 + random.nextLong(mix.crashSoonMs());
            String id = leader.id();
            long term = leader.raft().currentTerm();
            cluster.scheduler().after(after, new Event.Timer("crash new leader " + id, () -> {
                if (active && cluster.node(id).isUp() && cluster.node(id).raft().currentTerm() == term) {
                    crash(id);
                }
            }));
        }
    }

    /** Some elections are interrupted: a random other node dies moments after a campaign starts. */
    @Override
    public void campaignStarted(long timeMs, SimNode candidate) {
        if (active && random.nextDouble() < mix.campaignCrashRate()) {
            List<String> others = ids().stream().filter(id -> !id.equals(candidate.id())).toList();
            String victim = others.get(random.nextInt(others.size()));
            long after = 1 + random.nextLong(mix.crashSoonMs());
            cluster.scheduler().after(after, new Event.Timer("crash " + victim + " mid-election", () -> {
                if (active) {
                    crash(victim);
                }
            }));
        }
    }

    private void restart(String id) {
        if (down.remove(id)) {
            cluster.restart(id);
        }
    }

    /** Ends the faults: heal the network and restart every crashed node. */
    void stopAndHeal() {
        active = false;
        cluster.heal();
        for (String id : List.copyOf(down)) {
            restart(id);
        }
    }
}
