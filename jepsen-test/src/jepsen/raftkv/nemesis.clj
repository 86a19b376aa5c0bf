(ns jepsen.raftkv.nemesis
  "Faults for raftkv, built from jepsen.nemesis.combined.

  Only the packages that work in our environment are composed: network partitions (iptables) and
  process faults (kill and pause, through the pidfile). The combined nemesis-package would also
  compose packet (tc netem: not in this kernel), clock and file-corruption nemeses, whose setup
  touches the nodes even when unused, so we compose our own."
  (:require [clojure.string :as str]
            [jepsen.nemesis.combined :as nc]))

(def faults
  "Every fault this test can inject."
  #{:partition :kill :pause})

(def special-faults
  "Names that stand for several faults."
  {:none []
   :all  [:partition :kill :pause]})

(defn parse-nemesis-spec
  "Parses --nemesis: a comma-separated list of faults and special names (none, all), e.g.
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

(def partition-targets
  "How partitions cut the cluster: random halves (a majority and a minority), one node alone,
  overlapping majorities in a ring, and the current leader alone (found through GET /status)."
  [:majority :one :majorities-ring :primaries])

(def kill-targets  [:one :primaries :majority :all])
(def pause-targets [:one :primaries :majority :all])

(defn package-opts
  "The options for jepsen.nemesis.combined packages."
  [db opts]
  {:db        db
   :nodes     (:nodes opts)
   :faults    (set (:nemesis opts))
   :interval  (:nemesis-interval opts nc/default-interval)
   :partition {:targets partition-targets}
   :kill      {:targets kill-targets}
   :pause     {:targets pause-targets}})

(defn nemesis-package
  "A combined nemesis package (:nemesis, :generator, :final-generator, :perf) for the faults in
  (:nemesis opts). The final generator heals every partition, resumes every paused process and
  restarts every killed one."
  [db opts]
  (let [popts (package-opts db opts)]
    (nc/compose-packages
      (cond-> []
        (contains? (:faults popts) :partition)
        (conj (nc/partition-package popts))

        (some (:faults popts) [:kill :pause])
        (conj (nc/db-package popts))))))
