DROP TABLE chat_imports;
