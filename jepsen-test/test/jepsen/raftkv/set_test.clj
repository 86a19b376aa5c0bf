(ns jepsen.raftkv.set-test
  "The set workload without a cluster: requests, reads as sets, the generators, and that its
  checkers fail on a lost add and on diverged nodes."
  (:require [clojure.test :refer [deftest is testing use-fixtures]]
            [jepsen [checker :as checker]
                    [generator :as gen]
                    [history :as h]
                    [store :as store]]
            [jepsen.raftkv [http :as http]
                           [outcome :as outcome]
                           [set :as s]]))

(use-fixtures :once
  (fn [t]
    (try (t)
         (finally (let [dir (java.io.File. store/base-dir "set-test")]
                    (when (.exists dir) (store/delete-file-recursively! dir)))))))

(deftest requests
  (is (= {:method "PUT", :path "/kv/e17", :body {"name" "17"}, :mutation? true}
         (http/op->request :add nil 17)))
  (is (= {:method "GET", :path "/kv"} (http/op->request :read-all nil nil))))

(deftest outcomes
  (testing "an add is a write: 200 ok, definite errors fail, the rest is unknown"
    (is (= :ok (:type (outcome/response->outcome :add {:status 200, :body {"id" "e1", "name" "1"}}))))
    (is (= :fail (:type (outcome/response->outcome :add {:status 503, :body {"error" "no_leader", "definite" true}}))))
    (is (= :info (:type (outcome/response->outcome :add {:status 504, :body {"error" "commit_timeout", "definite" false}})))))
  (testing "a whole-map read: the map, or a failed read"
    (is (= {:type :ok, :value {"e1" 1, "e2" 2}}
           (outcome/response->outcome :read-all {:status 200, :body {"e1" "1", "e2" "2"}})))
    (testing "a page of GET /kv, and where the next one starts"
      (is (= {:type :ok, :value {"e1" 1, "e2" 2}, :next "e2"}
             (outcome/response->outcome :read-all {:status 200, :body {"kv" {"e1" "1", "e2" "2"}, "next" "e2"}})))
      (is (= {:type :ok, :value {"e3" 3}}
             (outcome/response->outcome :read-all {:status 200, :body {"kv" {"e3" "3"}, "next" nil}}))))
    (is (= :fail (:type (outcome/response->outcome :read-all {:status 504, :body {"error" "read_timeout", "definite" false}}))))
    (is (= :fail (:type (outcome/response->outcome :read-all {:status 200, :body [1 2], :raw "[1 2]"}))))))

(deftest reads-as-sets
  (is (= #{1 2} (s/elements {"e1" 1, "e2" 2})))
  (testing "an entry that is not an element's own key is kept as [key name], so set-full sees it"
    (is (= #{1 ["x" 2] ["e3" 4]} (s/elements {"e1" 1, "x" 2, "e3" 4}))))
  (is (= {:type :ok, :f :read, :value #{5}}
         (s/read-result {:type :ok, :f :read-all, :value {"e5" 5}})))
  (is (= {:type :fail, :f :read, :value nil}
         (s/read-result {:type :fail, :f :read-all, :value nil}))))

(deftest adds-are-unique
  (let [g   (s/adds)
        ops (repeatedly 100 #(g nil nil))]
    (is (= (range 100) (map :value ops)))
    (is (every? #{:add} (map :f ops)))))

(deftest final-generator
  (let [ops (s/final-ops ["n1" "n2"])]
    (is (= [[:read "n1"] [:final-read "n1"] [:read "n2"] [:final-read "n2"]]
           (map (juxt :f :node) ops)))))

(defn history
  [ops]
  (h/history (vec ops) {:dense-indices? true, :have-indices? false}))

(defn add [p t e] {:type t, :f :add, :value e, :process p})
(defn rd  [p t v] {:type t, :f :read, :value v, :process p})
(defn final [node m]
  [{:type :invoke, :f :final-read, :node node, :value nil, :process 9}
   {:type :ok, :f :final-read, :node node, :value m, :process 9}])

(defn check
  [ops]
  (let [w (s/workload {})]
    (checker/check (:checker w) {:name "set-test", :start-time 0, :nodes ["n1" "n2"]}
                   (history ops) {})))

(def good
  (concat [(add 0 :invoke 0) (add 0 :ok 0)
           (add 1 :invoke 1) (add 1 :info 1)
           (rd 2 :invoke nil) (rd 2 :ok #{0 1})]
          (final "n1" {"e0" 0, "e1" 1})
          (final "n2" {"e0" 0, "e1" 1})))

(deftest checker-passes-a-good-history
  (let [res (check good)]
    (is (true? (:valid? res)) (pr-str res))
    (is (true? (get-in res [:set :valid?])))
    (is (true? (get-in res [:convergence :valid?])))))

(deftest checker-catches-a-lost-add
  (testing "an acknowledged add that a later read misses"
    (let [res (check (concat [(add 0 :invoke 0) (add 0 :ok 0)
                              (add 1 :invoke 1) (add 1 :ok 1)
                              (rd 2 :invoke nil) (rd 2 :ok #{0})]
                             (final "n1" {"e0" 0})
                             (final "n2" {"e0" 0})))]
      (is (false? (:valid? res)))
      (is (false? (get-in res [:set :valid?])))
      (is (= 1 (get-in res [:set :lost-count]))))))

(deftest checker-catches-diverged-nodes
  (let [res (check (concat (butlast (butlast good))
                           (final "n2" {"e0" 0})))]
    (is (false? (:valid? res)))
    (is (true? (get-in res [:set :valid?])))
    (is (false? (get-in res [:convergence :valid?])))
    (is (= {"n2" {"e1" [1 :jepsen.raftkv.register/absent]}} (get-in res [:convergence :divergent])))))

(deftest checker-catches-an-element-nobody-added
  (let [res (check (concat good (final "n1" {"e0" 0, "e1" 1, "e7" 7}) (final "n2" {"e0" 0, "e1" 1, "e7" 7})))]
    (is (false? (get-in res [:convergence :valid?])))
    (is (= {"e7" 7} (get-in res [:convergence :unexpected-values])))))
