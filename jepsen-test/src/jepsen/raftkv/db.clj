(ns jepsen.raftkv.db
  "Installs, starts, kills, pauses and tears down raftkv on the DB nodes.

  Conventions (shared with the Docker setup): on each node the jar lives at
  /opt/raftkv/raftkv-node.jar, the pidfile is /opt/raftkv/raftkv.pid, the log
  /opt/raftkv/raftkv.log, the data /opt/raftkv/data, HTTP on port 8080, peers on port 8081.

  Every signal goes to the pid in the pidfile (or, as a last resort during setup, to the pid
  listening on port 8080): never to processes matched by name."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [control :as c]
                    [core :as jepsen]
                    [db :as db]
                    [util :as util :refer [meh]]]
            [jepsen.control.util :as cu]
            [jepsen.raftkv [http :as http]
                           [progress :as progress]]
            [clj-commons.slingshot :refer [try+ throw+]]))

(def dir      "/opt/raftkv")
(def jar      (str dir "/raftkv-node.jar"))
(def pidfile  (str dir "/raftkv.pid"))
(def logfile  (str dir "/raftkv.log"))
(def data-dir (str dir "/data"))
(def peers-file (str dir "/peers"))

(def bugs
  "Deliberate Raft violations the node can be started with (--bug NAME)."
  #{"stale-read" "commit-previous-term" "forget-vote" "ack-before-commit" "snapshot-drops-sessions"
    "retry-refused-forward" "concurrent-config-changes"})

(def peer-port
  "The port raftkv nodes take their peers' Raft streams on (--listen-peers), apart from clients."
  8081)

(defn peers-arg
  "The --peers argument: n1=http://n1:8080,n2=http://n2:8080,..."
  [nodes]
  (->> nodes
       (map (fn [node] (str node "=" (http/node-url node))))
       (str/join ",")))

(defn peer-urls-arg
  "The --peer-urls argument: n1=http://n1:8081,n2=http://n2:8081,..."
  [nodes]
  (->> nodes
       (map (fn [node] (str node "=http://" node ":" peer-port)))
       (str/join ",")))

(defn random-token
  "A fresh cluster token: 24 random bytes, in hex."
  []
  (let [bytes (byte-array 24)]
    (.nextBytes (java.security.SecureRandom.) bytes)
    (apply str (map #(format "%02x" (bit-and % 0xff)) bytes))))

(defn node-request-timeout-ms
  "The node's own request timeout: half a second under the client's, so that a request that waits
  through an election is answered by the node (no_leader: definite, a :fail) before the client
  gives up on it (a timeout: for a write, :info, which Knossos must keep open forever)."
  [test]
  (max 500 (- (:request-timeout-ms test (:request-timeout-ms http/default-timeouts)) 500)))

(defn cluster-args
  "How a node finds its cluster: the founding members start with --peers (all the test's nodes);
  a node the member nemesis adds starts with --join through a member (mode {:join \"n3\"}), and
  is restarted with the same arguments (its data directory belongs to the cluster by then)."
  [test node mode]
  (if-let [via (:join mode)]
    ["--join" (http/node-url via)
     "--advertise-host" node
     "--listen-peers" (str "0.0.0.0:" peer-port)]
    ["--peers" (peers-arg (:nodes test))
     "--listen-peers" (str "0.0.0.0:" peer-port)
     "--peer-urls" (peer-urls-arg (:nodes test))]))

(defn node-args
  "The command-line arguments for raftkv on a node (after the java binary); mode as in
  cluster-args (:peers by default). Pure, so it is unit-tested."
  ([test node] (node-args test node :peers))
  ([test node mode]
  (-> (vec (remove str/blank? (str/split (str (:node-java-opts test)) #"\s+")))
      (into ["-jar" jar
             "--id" node
             "--listen" (str "0.0.0.0:" http/port)])
      (into (cluster-args test node mode))
      (into ["--data-dir" data-dir
             "--request-timeout-ms" (str (node-request-timeout-ms test))])
      ; Peers present it on /raft/*, operators on /admin/* (a node without one refuses /admin/*).
      (cond-> (:cluster-token test) (into ["--cluster-token" (:cluster-token test)]))
      (cond-> (:bug test) (into ["--bug" (:bug test)]))
      (cond-> (:max-inflight-requests test)
        (into ["--max-inflight-requests" (str (:max-inflight-requests test))]))
      (cond-> (:max-waiting-requests test)
        (into ["--max-waiting-requests" (str (:max-waiting-requests test))]))
      ; Log compaction: a small threshold makes nodes snapshot often, so a node killed for a while
      ; falls behind the leader's compacted prefix and catches up through InstallSnapshot.
      (cond-> (:snapshot-entries test)
        (into ["--snapshot-entries" (str (:snapshot-entries test))
               "--snapshot-trailing-entries" (str (:snapshot-trailing-entries test 0))])))))

;; Process control, all through the pidfile

(defn pid
  "The pid in the pidfile, if the pidfile exists and names a live process; else nil."
  []
  (let [p (try+ (str/trim (c/exec :cat pidfile))
                (catch [:type :jepsen.control/nonzero-exit] _ nil))]
    (when (and p (re-matches #"\d+" p)
               (try+ (c/exec :kill :-0 p) true
                     (catch [:type :jepsen.control/nonzero-exit] _ false)))
      p)))

(defn- alive?
  [p]
  (try+ (c/exec :kill :-0 p) true
        (catch [:type :jepsen.control/nonzero-exit] _ false)))

(defn- await-exit!
  "Waits until process p is gone (kill -9 is asynchronous; the port must be free before a
  restart)."
  [p]
  (loop [tries 100]
    (when (alive? p)
      (if (pos? tries)
        (do (Thread/sleep 100) (recur (dec tries)))
        (throw+ {:type ::kill-timed-out, :node c/*host*, :pid p})))))

(defn- port-pid
  "The pid listening on the raftkv port, if ss can tell us. Used only during setup, to replace an
  instance that was started without our pidfile."
  []
  (let [out (try+ (c/exec :ss :-Hltnp (str "sport = :" http/port))
                  (catch Object _ ""))]
    (some->> out (re-find #"pid=(\d+)") second)))

(defn kill!
  "SIGKILLs raftkv through the pidfile, waits for it to exit, and removes the pidfile."
  []
  (c/su
    (when-let [p (pid)]
      (info "Killing raftkv pid" p)
      (meh (c/exec :kill :-9 p))
      (await-exit! p))
    (meh (c/exec :rm :-f pidfile))))

(defn signal!
  "Sends a signal (e.g. :STOP, :CONT) to raftkv through the pidfile. Returns the pid signalled,
  or :not-running."
  [sig]
  (c/su
    (if-let [p (pid)]
      (do (c/exec :kill (str "-" (name sig)) p)
          p)
      :not-running)))

(defn stop-any-instance!
  "Makes sure no raftkv is running: the one in our pidfile, and any other process holding port
  8080 (e.g. one started by hand or by the cluster bootstrap without our pidfile)."
  []
  (kill!)
  (c/su
    (when-let [p (port-pid)]
      (warn "Port" http/port "is held by pid" p "not in our pidfile; killing it")
      (meh (c/exec :kill :-9 p))
      (await-exit! p))))

(defn start!
  "Starts raftkv as a daemon (pidfile, logfile), with the cluster arguments of mode (see
  cluster-args). Returns :started or :already-running."
  ([test node] (start! test node :peers))
  ([test node mode]
  (c/su
    (c/exec :mkdir :-p data-dir)
    (cu/start-daemon!
      {:logfile            logfile
       :pidfile            pidfile
       :chdir              dir
       ; Match on the pidfile only: the java binary may be a symlink, and other JVMs may run.
       :match-executable?  false}
      (str/trim (c/exec :sh :-c "command -v java"))
      (node-args test node mode)))))

(defn wipe!
  "Deletes the node's data directory (raftkv must not be running): only ever done to a node that
  is no member of the committed configuration."
  []
  (c/su (c/exec :rm :-rf data-dir)))

(defn await-status!
  "Waits until the node answers GET /status. Throws ::setup-failed (so Jepsen retries the whole
  setup) if it does not within timeout-s."
  [node timeout-s]
  (let [deadline (+ (System/nanoTime) (* timeout-s 1000000000))]
    (loop []
      (or (http/status node)
          (if (< (System/nanoTime) deadline)
            (do (Thread/sleep 250) (recur))
            (throw+ {:type :jepsen.db/setup-failed
                     :node node
                     :reason "raftkv did not answer GET /status"}))))))

(defn await-leader!
  "Waits until the node knows of a leader. Not fatal if none emerges: the test then simply sees
  an unavailable cluster, which it records."
  [node timeout-s]
  (let [deadline (+ (System/nanoTime) (* timeout-s 1000000000))]
    (loop []
      (let [st (http/status node)
            leader (get st "leader")]
        (cond
          (and leader (not= "" leader)) leader
          (< (System/nanoTime) deadline) (do (Thread/sleep 250) (recur))
          :else (do (warn node "sees no leader after" timeout-s "s") nil))))))

(defn local-jar
  "The jar on the control node, or nil if it isn't there."
  [test]
  (let [f (io/file (:jar test))]
    (when (.isFile f) f)))

(defn install!
  "Uploads the node jar to the node. If the control node has no jar but the node already has one
  (e.g. baked into the image), uses that, with a warning."
  [test node]
  (c/su
    (c/exec :mkdir :-p dir)
    (if-let [^java.io.File f (local-jar test)]
      (do (info "Uploading" (.getPath f) "to" node)
          (c/upload (.getCanonicalPath f) jar))
      (if (cu/exists? jar)
        (warn "No jar at" (:jar test) "on the control node; using the" jar "already on" node)
        (throw+ {:type :jepsen.db/setup-failed
                 :node node
                 :reason (str "no node jar: " (:jar test) " is missing on the control node and "
                              jar " on the node")})))
    (cu/write-file! (str (peers-arg (:nodes test)) "\n") peers-file)))

(defn current-leaders
  "Pure: given [node status] pairs (status a GET /status body, or nil if the node did not answer),
  the nodes which say they are the leader, restricted to the highest term any of them reports (a
  deposed leader on the minority side of a partition may still believe it leads, in an older
  term)."
  [node-statuses]
  (let [leaders (filter (comp http/leader-status? second) node-statuses)
        term-of (fn [[_ st]] (let [t (get st "term")] (if (number? t) t -1)))]
    (if (empty? leaders)
      []
      (let [top (apply max (map term-of leaders))]
        (->> leaders (filter #(= top (term-of %))) (map first) vec)))))

(defn primaries
  "The current leader(s), asking every node's GET /status in parallel."
  [test]
  (->> (:nodes test)
       (util/real-pmap (fn [node] [node (http/status node 500)]))
       current-leaders))

(defn mode
  "How raftkv is (re)started on node, from the DB's registry: :peers (a founding member),
  {:join via} (added by the member nemesis), or :out (removed and wiped: not started)."
  [registry node]
  (get @registry node :peers))

(defn member-nodes
  "The test's nodes that are members now: all of them, less those the member nemesis removed."
  [test]
  (if-let [registry (some-> test :db :registry)]
    (vec (remove #(= :out (mode registry %)) (:nodes test)))
    (vec (:nodes test))))

(defrecord DB [registry]
  db/DB
  (setup! [this test node]
    ; Idempotent: whatever is running is replaced, and the data starts empty.
    (progress/note! :setup)
    (swap! registry assoc node :peers)
    (stop-any-instance!)
    (c/su (c/exec :rm :-rf data-dir logfile))
    (install! test node)
    (info "Starting raftkv" (if (:bug test) (str "with --bug " (:bug test)) "without a bug switch"))
    (start! test node)
    ; Generous: on a loaded 2-core machine five JVMs starting at once have taken over a minute.
    (await-status! node 180)
    (progress/note! :node-up node)
    ; Everyone up before anyone waits for a leader.
    (jepsen/synchronize test)
    (await-leader! node 30))

  (teardown! [this test node]
    ; Whatever the membership: every node is stopped and wiped, member or not.
    (info "Tearing down raftkv")
    (progress/note! :teardown node)
    (stop-any-instance!)
    (c/su (c/exec :rm :-rf data-dir (str dir "/data.tar.gz"))))

  db/LogFiles
  (log-files [this test node]
    ; Jepsen kills the node (db/Kill) before collecting, so the data files are quiescent.
    (meh (c/su (c/exec :tar :czf (str dir "/data.tar.gz") :-C dir "data")))
    {logfile                  "raftkv.log"
     peers-file               "peers"
     (str dir "/data.tar.gz") "data.tar.gz"})

  db/Kill
  (kill! [this test node]
    (kill!)
    :killed)

  (start! [this test node]
    ; The kill nemesis restarts :all nodes: a node the member nemesis removed stays down.
    (let [m (mode registry node)]
      (if (= :out m)
        :not-a-member
        (start! test node m))))

  db/Pause
  (pause! [this test node]
    (signal! :STOP))

  (resume! [this test node]
    (signal! :CONT))

  db/Primary
  (setup-primary! [this test node])

  (primaries [this test]
    (primaries test)))

(defn db
  "The raftkv DB, with its registry of how each node is started (see mode)."
  []
  (DB. (atom {})))
