package raftkv.server;

/**
 * Whether this node takes test-only fault-injection requests ({@code POST /admin/fault/isolate} and
 * {@code /admin/fault/heal}, behind the cluster token): {@link #OFF} unless started with
 * {@code --fault-injection-routes}, like the bug switches. They let a browser or an integration
 * test cut one node's Raft traffic on a single machine, where no firewall is at hand.
 */
public enum FaultInjection {
    OFF,
    ADMIN_ROUTES
}
