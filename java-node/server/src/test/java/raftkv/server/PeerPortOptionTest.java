package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** {@code --listen-peers} and {@code --peer-urls}: both or neither, naming the same nodes as {@code --peers}. */
class PeerPortOptionTest {

    private static final String PEERS = "n1=http://127.0.0.1:9401,n2=http://127.0.0.1:9402";

    private static NodeConfig configOf(String... extra) {
        return CommandLineConfigs.configOf(PEERS, extra);
    }

    @Test
    void withoutThemPeersStreamToTheClientUrls() {
        NodeConfig config = configOf();
        assertThat(config.peerPort()).isInstanceOf(PeerPort.SharedWithClients.class);
        assertThat(config.peerStreamUrls()).containsExactlyEntriesOf(config.peers());
    }

    @Test
    void withThemPeersStreamToThePeerUrlsAndClientsAreForwardedToTheClientUrls() {
        NodeConfig config = configOf("--listen-peers", "127.0.0.1:9411",
                "--peer-urls", "n1=http://127.0.0.1:9411,n2=http://127.0.0.1:9412");
        assertThat(config.peerPort()).isEqualTo(new PeerPort.Own("127.0.0.1", 9411,
                RaftkvNode.parseUrls("--peer-urls", "n1=http://127.0.0.1:9411,n2=http://127.0.0.1:9412")));
        assertThat(config.peerStreamUrls()).containsOnlyKeys("n2").containsEntry("n2", URI.create("http://127.0.0.1:9412"));
        assertThat(config.peers()).containsEntry("n2", URI.create("http://127.0.0.1:9402"));
    }

    @Test
    void oneWithoutTheOtherIsRefused() {
        assertThatThrownBy(() -> configOf("--listen-peers", "127.0.0.1:9411"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
        assertThatThrownBy(() -> configOf("--peer-urls", "n1=http://127.0.0.1:9411,n2=http://127.0.0.1:9412"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
    }

    @Test
    void peerUrlsMustNameTheSameNodesAsPeers() {
        assertThatThrownBy(() -> configOf("--listen-peers", "127.0.0.1:9411", "--peer-urls", "n1=http://127.0.0.1:9411"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("same nodes");
    }

    @Test
    void aBadPeerAddressIsRefusedByName() {
        assertThatThrownBy(() -> configOf("--listen-peers", "nowhere", "--peer-urls", "n1=http://a:1,n2=http://b:2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--listen-peers must be HOST:PORT");
        assertThatThrownBy(() -> configOf("--listen-peers", "127.0.0.1:9411", "--peer-urls", "n1=ftp://a:1,n2=http://b:2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--peer-urls: URL must be");
    }
}
