"""The reference for bench/overhead.py: the same grid search in plain scikit-learn, no tracking.

python bench/reference.py TRAIN_CSV TEST_CSV OUTPUT_DIR
"""

import sys
from pathlib import Path

import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV

train_csv, test_csv, output_dir = sys.argv[1:4]
train, test = pd.read_csv(train_csv), pd.read_csv(test_csv)
grid = {"n_estimators": [10, 25, 100], "criterion": ["gini", "entropy"], "max_depth": [2, 5, 10, None]}
search = GridSearchCV(RandomForestClassifier(random_state=42), grid, cv=5, n_jobs=-1, scoring="accuracy")
search.fit(train[["x1", "x2"]], train["y"])
print("accuracy", accuracy_score(test["y"], search.predict(test[["x1", "x2"]])))
joblib.dump(search.best_estimator_, Path(output_dir) / "model.joblib")
