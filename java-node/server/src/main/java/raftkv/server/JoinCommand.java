package raftkv.server;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import java.util.TreeMap;
import raftkv.server.identity.Joiner;
import raftkv.storage.IdentityFile;
import raftkv.storage.StoredIdentity;
import raftkv.storage.fs.RealFileSystem;

/**
 * {@code --join URL} before the node starts: a directory that already belongs to the cluster starts
 * as it is (a restart); otherwise the node asks the cluster to add it as a learner ({@link Joiner})
 * and saves the identity it gets, so that its event loop starts as a member.
 */
final class JoinCommand {

    /** How long a joining node keeps asking before it gives up (no leader, another change under way). */
    static final Duration JOIN_DEADLINE = Duration.ofSeconds(60);

    private JoinCommand() {}

    /** This node alone, as {@code --peers} would name it: {@code id=http://host:port}. */
    static TreeMap<String, URI> self(String id, String host, int port) {
        TreeMap<String, URI> self = new TreeMap<>();
        self.put(id, URI.create("http://" + host + ":" + port));
        return self;
    }

    /** Empty if the node may start (joined now or before); else why not. */
    static Optional<String> joinUnlessJoined(NodeConfig config) throws IOException, InterruptedException {
        RealFileSystem fs = new RealFileSystem();
        fs.createDirectoriesDurably(config.dataDir());
        IdentityFile file = new IdentityFile(fs, config.dataDir());
        Optional<StoredIdentity> stored = file.load();
        if (stored.isPresent() && !stored.get().node().equals(config.id())) {
            return Optional.of("the data directory belongs to node " + stored.get().node() + ", not " + config.id());
        }
        if (stored.isPresent() && stored.get() instanceof StoredIdentity.Member) {
            return Optional.empty(); // joined before: a restart
        }
        StoredIdentity.Bootstrapping self;
        if (stored.isPresent()) {
            self = (StoredIdentity.Bootstrapping) stored.get();
        } else {
            long incarnation = 0;
            while (incarnation == 0) {
                incarnation = new SecureRandom().nextLong();
            }
            self = new StoredIdentity.Bootstrapping(config.id(), incarnation);
            file.save(self);
        }
        String clientUrl = config.members().get(config.id()).toString();
        String peerUrl = config.peerStreamUrls().isEmpty() && config.peerPort() instanceof PeerPort.Own own
                ? own.urls().get(config.id()).toString() : clientUrl;
        Joiner.Outcome outcome = Joiner.join(config.joinUrl(),
                new Joiner.Request(self, clientUrl, peerUrl, config.clusterToken()), JOIN_DEADLINE);
        return switch (outcome) {
            case Joiner.Outcome.Refused refused -> Optional.of("could not join through " + config.joinUrl() + ": "
                    + refused.reason());
            case Joiner.Outcome.Joined joined -> {
                file.save(joined.identity());
                yield Optional.empty();
            }
        };
    }
}
