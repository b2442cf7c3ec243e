"""The plain scikit-learn script for any table, bench/wide.py's reference: no tracking.

Load the train and test files (CSV, or Parquet by its extension), one-hot encode the text
columns in a pipeline before a RandomForest, the tutorial's grid search (GridSearchCV, cv=5,
every core), the test metrics moonml reports for the label's classes, dump the model.

python bench/reference_table.py TRAIN TEST LABEL OUTPUT_DIR
"""

import sys
from pathlib import Path

import joblib
import pandas as pd
from pandas.api.types import is_numeric_dtype
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

TUTORIAL_GRID = {
    "classifier__n_estimators": [10, 25, 100],
    "classifier__criterion": ["gini", "entropy"],
    "classifier__max_depth": [2, 5, 10, None],
}


def read(path: str) -> pd.DataFrame:
    return pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)


train_file, test_file, label, output_dir = sys.argv[1:5]
train, test = read(train_file), read(test_file)
features = [name for name in train.columns if name != label]
text = [name for name in features if not is_numeric_dtype(train[name])]
numeric = [name for name in features if name not in text]
# Numbers first, then the encoded text: the column order moonml's pipeline feeds the forest.
encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
columns = ColumnTransformer([("numeric", "passthrough", numeric), ("text", encoder, text)])
model = Pipeline([("columns", columns), ("classifier", RandomForestClassifier(random_state=42))])
search = GridSearchCV(model, TUTORIAL_GRID, cv=5, n_jobs=-1, scoring="accuracy")
search.fit(train[features], train[label])
predicted = search.predict(test[features])
binary = train[label].nunique() == 2
average = "binary" if binary else "macro"
probabilities = search.predict_proba(test[features])
scores = probabilities[:, 1] if binary else probabilities
metrics = {
    "accuracy": accuracy_score(test[label], predicted),
    "precision": precision_score(test[label], predicted, average=average),
    "recall": recall_score(test[label], predicted, average=average),
    "f1": f1_score(test[label], predicted, average=average),
    "roc_auc": roc_auc_score(test[label], scores, multi_class="ovr"),
}
print("selected", search.best_params_)
for name, value in metrics.items():
    print(name, round(value, 4))
joblib.dump(search.best_estimator_, Path(output_dir) / "model.joblib")
