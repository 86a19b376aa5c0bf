package raftkv.sim;

/** Hears about notable moments of a {@link Cluster}'s run, for the demo's narrative and the nemesis. */
interface ClusterObserver {
    ClusterObserver NONE = new ClusterObserver() {};

    default void leaderElected(long timeMs, SimNode leader) {}

    default void steppedDown(long timeMs, SimNode former, long termLed) {}

    default void campaignStarted(long timeMs, SimNode candidate) {}

    default void truncated(long timeMs, SimNode node, long fromIndex) {}

    default void poweredOff(long timeMs, SimNode node) {}

    default void clientCompleted(long timeMs, int process, Op op, History.Type type) {}

    default void clientRetries(long timeMs, int process, Op op, String node, String why) {}
}
