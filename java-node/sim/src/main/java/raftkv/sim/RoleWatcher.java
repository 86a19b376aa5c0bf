package raftkv.sim;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import raftkv.core.Role;

/** Tells a {@link Cluster.Observer} when a node starts a campaign, wins an election or steps down. */
final class RoleWatcher {

    private final Map<String, Long> leaderTerm = new LinkedHashMap<>();
    private final Map<String, Long> campaignTerm = new LinkedHashMap<>();

    void notice(Collection<SimNode> nodes, long now, Cluster.Observer observer) {
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
