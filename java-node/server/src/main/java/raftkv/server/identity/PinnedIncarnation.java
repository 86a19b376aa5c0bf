package raftkv.server.identity;

import java.net.URI;
import java.util.Optional;
import raftkv.core.ClusterConfig;
import raftkv.core.Member;
import raftkv.storage.StoredIdentity;

/**
 * A member added to a running cluster carries its data directory's incarnation in the configuration
 * entry that adds it, as the fragment of its peer URL ({@code http://host:port#incarnation=<16 hex>}):
 * the URLs are opaque to the core, the fragment is never sent anywhere, and so every node that holds
 * the entry — a snapshot included — knows which directory that member is, without having heard from
 * it. A stale node whose log still lists an earlier directory under the same id expects that one,
 * and refuses the new one (issue 20).
 */
public final class PinnedIncarnation {

    private static final String PREFIX = "incarnation=";

    private PinnedIncarnation() {}

    /** {@code peerUrl} with {@code incarnation} pinned to it. */
    public static String pin(String peerUrl, long incarnation) {
        return URI.create(peerUrl).resolve("#" + PREFIX + StoredIdentity.format(incarnation)).toString();
    }

    /** The incarnation {@code member}'s peer URL pins, if it does. */
    public static Optional<Long> of(Member member) {
        String fragment;
        try {
            fragment = member.peerUrl().isEmpty() ? null : URI.create(member.peerUrl()).getFragment();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (fragment == null || !fragment.startsWith(PREFIX)) {
            return Optional.empty();
        }
        try {
            return Optional.of(StoredIdentity.parse(fragment.substring(PREFIX.length())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The incarnation {@code configuration} pins for {@code id}, if it does. */
    public static Optional<Long> of(ClusterConfig configuration, String id) {
        return configuration.member(id).flatMap(PinnedIncarnation::of);
    }
}
