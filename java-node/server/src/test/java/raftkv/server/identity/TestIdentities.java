package raftkv.server.identity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.SortedMap;
import java.util.TreeMap;
import raftkv.server.transport.StreamTransport;
import raftkv.storage.IdentityFile;
import raftkv.storage.StoredIdentity;
import raftkv.storage.fs.RealFileSystem;

/**
 * Identities for tests whose peers do not exist or are played by the test (fake leaders, raw
 * streams): each node's incarnation is fixed by its id, and the cluster by its members, so a node
 * started on a directory {@link #seed}ed here belongs to the cluster at once, and a test speaking as
 * a peer presents {@link #credentials} it accepts.
 */
public final class TestIdentities {

    private TestIdentities() {}

    /** A fixed, non-zero incarnation per node id. */
    public static long incarnation(String id) {
        return 0x7e57_0000_0000_0000L | Integer.toUnsignedLong(id.hashCode());
    }

    public static StoredIdentity.Member member(String id, Collection<String> members) {
        SortedMap<String, Long> incarnations = new TreeMap<>();
        members.forEach(m -> incarnations.put(m, incarnation(m)));
        return new StoredIdentity.Member(id, incarnation(id), BootstrapDecision.clusterId(incarnations), incarnations);
    }

    /** Writes {@code id}'s identity into {@code dataDir} unless it has one. */
    public static void seed(Path dataDir, String id, Collection<String> members) throws IOException {
        Files.createDirectories(dataDir);
        IdentityFile file = new IdentityFile(new RealFileSystem(), dataDir);
        if (file.load().isEmpty()) {
            file.save(member(id, members));
        }
    }

    /** What peer {@code id} of the cluster {@code members} presents. */
    public static IdentityGate.Credentials credentials(String id, Collection<String> members) {
        StoredIdentity.Member member = member(id, members);
        return new IdentityGate.Credentials(member.clusterId(), member.incarnation());
    }

    /** The same, as HTTP headers: name, value, name, value. */
    public static String[] headers(String id, Collection<String> members) {
        IdentityGate.Credentials credentials = credentials(id, members);
        return new String[] {StreamTransport.CLUSTER_HEADER, credentials.clusterId(),
                StreamTransport.INCARNATION_HEADER, StoredIdentity.format(credentials.incarnation())};
    }

    /** The same, as lines of a raw HTTP request head. */
    public static String headLines(String id, Collection<String> members) {
        String[] headers = headers(id, members);
        return headers[0] + ": " + headers[1] + "\r\n" + headers[2] + ": " + headers[3] + "\r\n";
    }
}
