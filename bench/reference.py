"""The reference for bench/overhead.py and bench/scale.py: the tutorial's plain script, no tracking.

Load, the same grid search (plain GridSearchCV), evaluate, one plot, dump the model. GRID_JSON
replaces the tutorial's grid (bench/scale.py passes the reduced grid it compares moonml on).

python bench/reference.py TRAIN_CSV TEST_CSV OUTPUT_DIR [GRID_JSON]
"""

import json
import sys
from pathlib import Path

import joblib
import matplotlib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

TUTORIAL_GRID = {
    "n_estimators": [10, 25, 100],
    "criterion": ["gini", "entropy"],
    "max_depth": [2, 5, 10, None],
}

train_csv, test_csv, output_dir = sys.argv[1:4]
grid = json.loads(sys.argv[4]) if len(sys.argv) > 4 else TUTORIAL_GRID
train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
search = GridSearchCV(RandomForestClassifier(random_state=42), grid, cv=5, n_jobs=-1, scoring="accuracy")
search.fit(train[["x1", "x2"]], train["y"])
predicted = search.predict(test[["x1", "x2"]])
print("accuracy", accuracy_score(test["y"], predicted))
shown = test.sample(min(len(test), 2000), random_state=0)
plt.scatter(shown["x1"], shown["x2"], c=search.predict(shown[["x1", "x2"]]), s=8)
plt.savefig(Path(output_dir) / "predictions.png", dpi=110)
joblib.dump(search.best_estimator_, Path(output_dir) / "model.joblib")
