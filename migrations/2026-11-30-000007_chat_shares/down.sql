DROP TABLE chat_shares;
