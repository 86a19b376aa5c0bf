package raftkv.sim;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import raftkv.core.Role;

/**
 * Watches the nodes' roles after every event and tells a {@link ClusterObserver} when a campaign
 * starts, a leader is elected or a leader steps down (or crashes: it is no longer seen leading).
 */
final class RoleWatch {

    private final Map<String, Long> leaderTerm = new LinkedHashMap<>();
    private final Map<String, Long> campaignTerm = new LinkedHashMap<>();

    /** Tells {@code observer} of every campaign, election and step-down since the last call. */
    void notice(Collection<SimNode> nodes, long now, ClusterObserver observer) {
        for (SimNode node : nodes) {
            if (node.isUp() && node.raft().role() == Role.CANDIDATE) {
                Long previous = campaignTerm.put(node.id(), node.raft().currentTerm());
                if (previous == null || previous != node.raft().currentTerm()) {
                    observer.campaignStarted(now, node);
                }
            }
            boolean leads = node.isUp() && node.raft().role() == Role.LEADER;
            if (leads) {
                Long previous = leaderTerm.put(node.id(), node.raft().currentTerm());
                if (previous == null || previous != node.raft().currentTerm()) {
                    observer.leaderElected(now, node);
                }
            } else {
                Long termLed = leaderTerm.remove(node.id());
                if (termLed != null && node.isUp()) {
                    observer.steppedDown(now, node, termLed);
                }
            }
        }
    }
}
