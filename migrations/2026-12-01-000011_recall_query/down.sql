DROP FUNCTION aidstation_recall_query(text, text);
