(ns jepsen.raftkv.nemesis
  "Faults for raftkv: network partitions (iptables) and process faults (kill -9 and SIGSTOP,
  through the pidfile), on a schedule that keeps a quorum most of the time.

  The nemeses come from jepsen.nemesis.combined, but not its schedule: combined's generators run
  every kind of fault independently and aim some at a majority or at all nodes, so with kill,
  pause and partition together the cluster had no quorum most of the run (626 ok operations in
  60 s). Here faults come one at a time, as episodes:

    recovery gap  ->  one fault  ->  held  ->  healed  ->  recovery gap  ->  ...

  Each fault is minority-sized (it leaves a majority that can talk and run) unless
  --nemesis-targets any lets kills and pauses hit a majority or every node. Partitions always
  leave some majority connected: one node alone, a 3/2 split, the leader alone, overlapping
  majorities in a ring, or a bridge (two halves joined through one node).

  With :member, the member nemesis (jepsen.raftkv.member) grows and shrinks the cluster between
  faults, one change per episode, never below three voters; the schedule first draws a kind of
  fault, then an episode of that kind, so membership changes come as often as kills or partitions.

  We compose only the packages that work in our environment: combined's nemesis-package would also
  set up packet (tc netem: not in this kernel), clock and file-corruption nemeses."
  (:require [clojure.string :as str]
            [jepsen.generator :as gen]
            [jepsen.nemesis :as n]
            [jepsen.nemesis.combined :as nc]
            [jepsen.raftkv.member :as member]))

(def faults
  "Every fault this test can inject."
  #{:partition :kill :pause :member})

(def special-faults
  "Names that stand for several faults. `mixed` and `all` are the same schedule: every kind of
  fault, membership changes included, one at a time."
  {:none  []
   :all   [:partition :kill :pause :member]
   :mixed [:partition :kill :pause :member]})

(defn parse-nemesis-spec
  "Parses --nemesis: a comma-separated list of faults and special names (none, all, mixed), e.g.
  \"partition,kill\". Returns a sorted set of fault keywords. Throws IllegalArgumentException on an
  unknown name, so tools.cli reports it as a bad option."
  [spec]
  (let [names (->> (str/split (str spec) #",")
                   (map str/trim)
                   (remove str/blank?)
                   (map keyword))]
    (when (empty? names)
      (throw (IllegalArgumentException. "empty nemesis spec")))
    (into (sorted-set)
          (mapcat (fn [k]
                    (cond (contains? special-faults k) (special-faults k)
                          (contains? faults k)         [k]
                          :else (throw (IllegalArgumentException.
                                         (str "unknown fault " (name k) "; known: "
                                              (str/join ", " (map name (sort (concat faults (keys special-faults)))))))))))
          names)))

(defn nemesis-name
  "A short name for a set of faults, for test names: \"none\", \"partition\", \"kill,pause\"."
  [faults]
  (if (empty? faults) "none" (str/join "," (map name (sort faults)))))

;; The fault menu

(def target-scopes
  "--nemesis-targets: minority (every fault leaves a working majority) or any (kills and pauses
  may also hit a majority or every node: the cluster is then unavailable until they heal)."
  #{:minority :any})

(def partition-targets
  "Partitions that leave some majority connected: one node alone, random halves (3/2), the leader
  alone (found through GET /status), overlapping majorities in a ring, and a bridge."
  [:one :majority :primaries :majorities-ring :bridge])

(defn parse-partitions
  "--partitions: a comma-separated subset of partition-targets (e.g. primaries), or all. Nil if
  a name is unknown."
  [s]
  (if (= "all" s)
    partition-targets
    (let [ts (mapv keyword (str/split (str s) #","))]
      (when (and (seq ts) (every? (set partition-targets) ts))
        ts))))

(defn process-targets
  "Whom kills and pauses hit: one node, the leader, or two nodes; with scope :any also a majority
  or all five."
  [scope]
  (cond-> [:one :primaries :minority]
    (= :any scope) (into [:majority :all])))

(defn partition-start
  "The op that starts a partition. A bridge is a grudge computed from the nodes (combined's
  partition nemesis takes a grudge map as the value as it is)."
  [target]
  (if (= :bridge target)
    (gen/once (fn [test _ctx]
                {:type :info, :f :start-partition, :value (n/bridge (shuffle (:nodes test)))}))
    {:type :info, :f :start-partition, :value target}))

(defn menu
  "Every fault episode the schedule can draw from, as {:kind fault, :start op-or-generator, :stop
  op}, for the given fault kinds and target scope, and the partition shapes to draw from (all by
  default). A membership change has no :stop: there is nothing to heal."
  ([faults scope]
   (menu faults scope partition-targets))
  ([faults scope partitions]
  (concat
    (when (contains? faults :partition)
      (for [t partitions]
        {:kind  :partition
         :start (partition-start t)
         :stop  {:type :info, :f :stop-partition, :value nil}}))
    (when (contains? faults :kill)
      (for [t (process-targets scope)]
        {:kind  :kill
         :start {:type :info, :f :kill, :value t}
         :stop  {:type :info, :f :start, :value :all}}))
    (when (contains? faults :pause)
      (for [t (process-targets scope)]
        {:kind  :pause
         :start {:type :info, :f :pause, :value t}
         :stop  {:type :info, :f :resume, :value :all}}))
    (when (contains? faults :member)
      [{:kind  :member
        :start {:type :info, :f :member, :value :change}}]))))

(defn between
  "A random duration in seconds, uniform in [interval/2, interval]."
  [interval]
  (* interval (+ 0.5 (rand 0.5))))

(defn schedule
  "The nemesis generator: an endless sequence of episodes, each a recovery gap, then one fault
  (a kind of fault drawn first, then one of its episodes), held, then healed; a membership change
  is neither held nor healed. Gap and hold are each uniform in [interval/2, interval] seconds. Nil
  when there are no faults."
  [episodes interval]
  (when (seq episodes)
    (let [by-kind (group-by :kind episodes)
          kinds   (vec (sort (keys by-kind)))]
      (mapcat (fn [_]
                (let [{:keys [start stop]} (rand-nth (by-kind (rand-nth kinds)))]
                  (cond-> [(gen/sleep (between interval))
                           start]
                    stop (into [(gen/sleep (between interval))
                                stop]))))
              (range)))))

(defn package-opts
  "The options for jepsen.nemesis.combined packages (their nemeses and final generators; the
  schedule is ours)."
  [db opts]
  {:db       db
   :nodes    (:nodes opts)
   :faults   (set (:nemesis opts))
   :interval (:nemesis-interval opts nc/default-interval)})

(defn nemesis-package
  "A nemesis package (:nemesis, :generator, :final-generator, :perf) for the faults in
  (:nemesis opts), on the one-fault-at-a-time schedule. The final generator heals every
  partition, resumes every paused process and restarts every killed one (not a node the member
  nemesis removed); then the member nemesis settles any learner and records the membership."
  [db opts]
  (let [popts    (package-opts db opts)
        faults   (:faults popts)
        packages (cond-> []
                   (contains? faults :partition)  (conj (nc/partition-package popts))
                   (some faults [:kill :pause])   (conj (nc/db-package popts))
                   ; Last: its final op runs after the heals.
                   (contains? faults :member)     (conj (member/package)))
        composed (nc/compose-packages packages)]
    (assoc composed
           :generator (schedule (menu faults (:nemesis-targets opts :minority)
                                      (:partitions opts partition-targets))
                                (:interval popts)))))
