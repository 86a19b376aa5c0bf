(ns jepsen.raftkv-test
  "Command-line parsing (exactly as `lein run test ...` parses it, minus System/exit), the test
  map and test matrix, the nemesis spec, and the node's command line."
  (:require [clojure.test :refer [deftest is are testing]]
            [clojure.tools.cli :as tools.cli]
            [jepsen.cli :as jcli]
            [jepsen.raftkv :as raftkv]
            [jepsen.raftkv [db :as db]
                           [nemesis :as nemesis]]))

(defn parse
  "Parses args like the `test` subcommand does. Returns {:options .. :errors ..}."
  [args]
  (let [{:keys [opt-spec opt-fn]} (get (raftkv/commands) "test")]
    (-> args (tools.cli/parse-opts opt-spec) opt-fn)))

(defn parse-all
  [args]
  (let [{:keys [opt-spec opt-fn]} (get (raftkv/commands) "test-all")]
    (-> args (tools.cli/parse-opts opt-spec) opt-fn)))

(deftest defaults
  (let [{:keys [options errors]} (parse [])]
    (is (empty? errors))
    (is (= ["n1" "n2" "n3" "n4" "n5"] (:nodes options)))
    (is (= 10 (:concurrency options)))
    (is (= 60 (:time-limit options)))
    (is (== 100 (:rate options)))
    (is (= #{} (:nemesis options)))
    (is (= :register (:workload options)))
    (is (= :competition (:algorithm options)))
    (is (nil? (:bug options)))
    (is (== 10 (:nemesis-interval options)))
    (is (= 10 (:quiet-period options)))
    (is (= 5 (:threads-per-key options)))
    (is (= "../java-node/server/target/raftkv-node.jar" (:jar options)))
    (is (= "-Xmx512m" (:node-java-opts options)))))

(deftest the-documented-command-line
  (let [{:keys [options errors]}
        (parse ["--nodes" "n1,n2,n3,n4,n5" "--time-limit" "60" "--rate" "100"
                "--concurrency" "10" "--nemesis" "partition" "--bug" "stale-read"
                "--jar" "/tmp/x.jar" "--algorithm" "wgl" "--nemesis-interval" "5"])]
    (is (empty? errors))
    (is (= ["n1" "n2" "n3" "n4" "n5"] (:nodes options)))
    (is (= #{:partition} (:nemesis options)))
    (is (= "stale-read" (:bug options)))
    (is (= "/tmp/x.jar" (:jar options)))
    (is (= :wgl (:algorithm options)))
    (is (= 5.0 (:nemesis-interval options)))))

(deftest nemesis-specs
  (are [spec faults] (= faults (nemesis/parse-nemesis-spec spec))
    "none"                #{}
    "partition"           #{:partition}
    "kill"                #{:kill}
    "pause"               #{:pause}
    "all"                 #{:partition :kill :pause}
    "partition,kill"      #{:partition :kill}
    " pause , partition " #{:partition :pause}
    "none,kill"           #{:kill}
    "all,kill"            #{:partition :kill :pause})
  (doseq [bad ["", "clock", "partition,bogus", "packet", ","]]
    (is (thrown? IllegalArgumentException (nemesis/parse-nemesis-spec bad)) bad))
  (testing "through the command line"
    (is (= #{:partition :pause} (:nemesis (:options (parse ["--nemesis" "partition,pause"]))))))
  (testing "an unknown fault is a command-line error"
    (is (seq (:errors (parse ["--nemesis" "clock"]))))
    (is (re-find #"unknown fault" (first (:errors (parse ["--nemesis" "clock"])))))))

(deftest nemesis-names
  (is (= "none" (nemesis/nemesis-name #{})))
  (is (= "kill,partition,pause" (nemesis/nemesis-name #{:partition :kill :pause}))))

(deftest bugs
  (doseq [b ["stale-read" "commit-previous-term" "forget-vote" "ack-before-commit"]]
    (let [{:keys [options errors]} (parse ["--bug" b])]
      (is (empty? errors))
      (is (= b (:bug options)))))
  (let [{:keys [errors]} (parse ["--bug" "stale-reads"])]
    (is (= 1 (count errors)))
    (is (re-find #"unknown bug" (first errors)))))

(deftest bad-options
  (are [args] (seq (:errors (parse args)))
    ["--rate" "0"]
    ["--rate" "fast"]
    ["--algorithm" "magic"]
    ["--workload" "queue"]
    ["--ops-per-key" "-1"]
    ["--time-limit" "0"]
    ["--nemesis-interval" "0"]
    ["--quiet-period" "-1"]
    ["--no-such-option"]))

(deftest concurrency
  (testing "must be whole groups of threads-per-key"
    (is (empty? (:errors (parse ["--concurrency" "15"]))))
    (is (= 10 (:concurrency (:options (parse ["--concurrency" "2n"])))))
    (is (seq (:errors (parse ["--concurrency" "7"]))))
    (is (seq (:errors (parse ["--concurrency" "3"]))))
    (is (empty? (:errors (parse ["--concurrency" "6" "--threads-per-key" "3"]))))))

(deftest test-map
  (let [t (raftkv/raftkv-test (:options (parse ["--nemesis" "all" "--bug" "ack-before-commit"])))]
    (is (= "raftkv-register-kill,partition,pause-bug-ack-before-commit" (:name t)))
    (is (= "ack-before-commit" (:bug t)))
    (is (some? (:generator t)))
    (is (some? (:nemesis t)))
    (is (some? (:checker t)))
    (is (instance? jepsen.raftkv.db.DB (:db t))))
  (is (= "raftkv-register-none" (:name (raftkv/raftkv-test (:options (parse [])))))))

(deftest test-all-matrix
  (testing "without --nemesis: every combination"
    (let [{:keys [options errors]} (parse-all [])
          tests (raftkv/all-tests options)]
      (is (empty? errors))
      (is (= (count raftkv/all-nemeses) (count tests)))
      (is (= #{"raftkv-register-none" "raftkv-register-partition" "raftkv-register-kill"
               "raftkv-register-pause" "raftkv-register-kill,partition,pause"}
             (set (map :name tests))))))
  (testing "with --nemesis and --test-count"
    (let [{:keys [options]} (parse-all ["--nemesis" "kill" "--test-count" "2"])]
      (is (= ["raftkv-register-kill" "raftkv-register-kill"]
             (map :name (raftkv/all-tests options)))))))

(deftest node-command-line
  (let [test {:nodes ["n1" "n2" "n3"]}]
    (is (= ["-Xmx256m" "-XX:+UseSerialGC" "-jar" "/opt/raftkv/raftkv-node.jar"]
           (take 4 (db/node-args (assoc test :node-java-opts " -Xmx256m  -XX:+UseSerialGC") "n1"))))
    (is (= ["-jar" "/opt/raftkv/raftkv-node.jar" "--id" "n2" "--listen" "0.0.0.0:8080"
            "--peers" "n1=http://n1:8080,n2=http://n2:8080,n3=http://n3:8080"
            "--data-dir" "/opt/raftkv/data"]
           (db/node-args test "n2")))
    (is (= ["--bug" "stale-read"] (take-last 2 (db/node-args (assoc test :bug "stale-read") "n1"))))
    (is (= ["--snapshot-entries" "20" "--snapshot-trailing-entries" "0"]
           (take-last 4 (db/node-args (assoc test :snapshot-entries 20) "n1"))))
    (is (= ["--snapshot-entries" "20" "--snapshot-trailing-entries" "5"]
           (take-last 4 (db/node-args (assoc test :snapshot-entries 20 :snapshot-trailing-entries 5) "n1"))))))

(deftest nemesis-package
  (testing "no faults: a nemesis that does nothing, and no generators"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1"] :nemesis #{}})]
      (is (nil? (:generator p)))
      (is (nil? (:final-generator p)))))
  (testing "all faults: generators, and final generators that heal"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1" "n2" "n3"]
                                             :nemesis #{:partition :kill :pause}
                                             :nemesis-interval 5})]
      (is (some? (:generator p)))
      (is (= #{"partition" "kill" "pause"} (set (map :name (:perf p)))))
      (is (= #{:stop-partition :resume :start}
             (->> (:final-generator p) flatten (map :f) set)))))
  (testing "kill only"
    (let [p (nemesis/nemesis-package (db/db) {:nodes ["n1" "n2" "n3"] :nemesis #{:kill}})]
      (is (= #{:start} (->> (:final-generator p) flatten (map :f) set))))))

(deftest current-leaders
  (testing "the leader with the highest term; a deposed leader in an older term is ignored"
    (is (= ["n3"] (db/current-leaders [["n1" {"role" "leader", "term" 4}]
                                       ["n2" nil]
                                       ["n3" {"role" "leader", "term" 6}]
                                       ["n4" {"role" "follower", "term" 6}]]))))
  (is (= [] (db/current-leaders [["n1" {"role" "candidate", "term" 2}] ["n2" nil]])))
  (is (= [] (db/current-leaders [])))
  (is (= ["n2"] (db/current-leaders [["n2" {"role" "LEADER", "term" 1}]]))))
