package raftkv.core;

/**
 * The persistent state of Figure 2 apart from the log: "updated on stable storage before
 * responding to RPCs".
 *
 * @param currentTerm latest term this server has seen (initialized to 0 on first boot)
 * @param votedFor candidate that received this server's vote in currentTerm, or {@code null}
 */
public record HardState(long currentTerm, String votedFor) {
    public static final HardState INITIAL = new HardState(0, null);
}
